"""Sensor dependency filters evaluated as Argo Events does (data, exprs, context, time).

Called by the sensor controller for every event that reaches a dependency. As in Argo, a missing path
or a bad expression fails the filter (with the reason recorded) rather than raising; string values are
unanchored regexes matched against gjson's string form (arrays and objects as compact JSON).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluicegate.eventing._model import DataFilter, EventContextFilter, EventDependency, ExprFilter, TimeFilter
from sluicegate.eventing._transform import TransformError, script_filter
from sluicegate.lang import MISSING, ExprError, TemplateError, as_string, get_path, render
from sluicegate.lang import evaluate_govaluate as evaluate

__all__ = ["FilterResult", "filter_event"]

FilterResult = tuple[bool, str]


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "t", "true"):
        return True
    if low in ("0", "f", "false"):
        return False
    raise ValueError(f"{text!r} is not a boolean")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return _bool(value)
        except ValueError:
            return False
    return bool(value) if isinstance(value, (int, float)) else False


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return 0.0


_COMPARE = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "!=": lambda a, b: a != b,
    "=": lambda a, b: a == b,
    "": lambda a, b: a == b,
}


def _one_data(f: DataFilter, data: Any) -> tuple[bool | None, str]:
    """(matched, error): matched None means the filter errored."""
    value = get_path(data, f.path)
    if value is MISSING:
        return None, f"path '{f.path}' does not exist"
    if not f.value:
        return None, f"no values specified for path '{f.path}'"
    if f.template:
        try:
            out = render(f.template, {"Input": as_string(value)})
        except TemplateError as e:
            return None, str(e)
        if out in ("", "<no value>"):
            return None, f"template '{f.template}' evaluated to empty string or no value"
        value = out
    if f.type == "bool":
        try:
            wanted = [_bool(v) for v in f.value]
        except ValueError as e:
            return None, str(e)
        return _as_bool(value) in wanted, ""
    if f.type == "number":
        cmp = _COMPARE.get(f.comparator)
        if cmp is None:
            return None, f"unknown comparator {f.comparator!r} (use >=, >, <, <=, !=, =)"
        try:
            wanted_n = [float(v) for v in f.value]
        except ValueError as e:
            return None, str(e)
        have = _as_float(value)
        return any(cmp(have, w) for w in wanted_n), ""
    if f.type == "string":
        text = as_string(value)
        for pattern in f.value:
            try:
                found = re.search(pattern, text) is not None
            except re.error as e:
                return None, f"bad regex {pattern!r}: {e}"
            if found != (f.comparator == "!="):
                return True, ""
        return False, ""
    return None, f"unsupported JSON type '{f.type}'"


def _combine(results: list[tuple[bool | None, str]], operator: str, kind: str) -> FilterResult:
    if operator == "or":
        if any(ok for ok, _ in results):
            return True, ""
        errs = [e for ok, e in results if ok is None]
        return False, f"{kind} filters: none matched" + (f" ({' / '.join(errs)})" if errs else "")
    for i, (ok, err) in enumerate(results):
        if ok is None:
            return False, f"{kind} filter {i}: {err}"
        if not ok:
            return False, f"{kind} filter {i} did not match"
    return True, ""


def _one_expr(f: ExprFilter, data: Any) -> tuple[bool | None, str]:
    params: dict[str, Any] = {}
    for fld in f.fields:
        value = get_path(data, fld.path)
        if value is MISSING:
            return None, f"path '{fld.path}' does not exist"
        params[fld.name] = value
    if not params:
        return True, ""
    try:
        result = evaluate(f.expr, params)
    except ExprError as e:
        return None, str(e)
    return result is True, ""


def _context(f: EventContextFilter, ctx: dict[str, Any]) -> bool:
    return all(
        not want or ctx.get(key) == want
        for key, want in (
            ("type", f.type),
            ("subject", f.subject),
            ("source", f.source),
            ("datacontenttype", f.datacontenttype),
        )
    )


def _clock(text: str, day: datetime) -> datetime:
    """`hh:mm:ss` on the date of `day` (in `day`'s zone), as Go parses "2006-01-02 15:04:05"."""
    m = re.fullmatch(r"(\d{2}):(\d{2}):(\d{2})", text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3)) > 59:
        raise ValueError(f'parsing time "{day:%Y-%m-%d} {text}" as "2006-01-02 15:04:05": not hh:mm:ss')
    h, mi, sec = (int(g) for g in m.groups())
    return day.replace(hour=h, minute=mi, second=sec, microsecond=0)


def _time(f: TimeFilter, ctx: dict[str, Any]) -> tuple[bool | None, str]:
    """Argo Events' filterTime: `[start, stop)` on the event's day; a stop before start runs past midnight."""
    try:
        stamp = datetime.fromisoformat(str(ctx.get("time", "")).replace("Z", "+00:00"))
    except ValueError:
        return None, f"time filter error (event time {ctx.get('time')!r} is not RFC 3339)"
    try:
        zone: Any = ZoneInfo(f.timezone) if f.timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return None, f"time filter error (invalid timezone '{f.timezone}': unknown time zone {f.timezone})"
    day = stamp.astimezone(zone)
    try:
        start, stop = _clock(f.start, day), _clock(f.stop, day)
    except ValueError as e:
        return None, f"time filter error ({e})"
    if start < stop:
        return start <= day < stop, ""
    return day >= start or day < stop, ""


def _window(f: TimeFilter) -> str:
    return f"[{f.start}, {f.stop}) {f.timezone or 'UTC'}"


def filter_event(dep: EventDependency, context: dict[str, Any], data: Any) -> FilterResult:
    """Whether an event passes a dependency's filters, and why not.

    The Lua `script` filter is evaluated last, as Argo Events does, and a script that fails fails the event
    whatever the logical operator (`_transform.script_filter`). A dependency's `transform` is applied by the
    caller before this (see `_transform`).
    """
    flt = dep.filters
    if flt is None:
        return True, ""
    parts: list[tuple[bool, str, bool]] = []  # (passed, reason, present)
    if flt.exprs is not None:
        ok, why = _combine([_one_expr(e, data) for e in flt.exprs], flt.expr_logical_operator, "expr")
        parts.append((ok, why, True))
    if flt.data is not None:
        ok, why = _combine([_one_data(d, data) for d in flt.data], flt.data_logical_operator, "data")
        parts.append((ok, why, True))
    if flt.context is not None:
        ok = _context(flt.context, context)
        parts.append((ok, "" if ok else "context filter did not match", True))
    if flt.time is not None:
        passed, err = _time(flt.time, context)
        why = err or ("" if passed else f"time filter: event at {context.get('time')} outside {_window(flt.time)}")
        parts.append((bool(passed), why, True))
    if flt.script:
        try:
            passed = script_filter(flt.script, data)
        except TransformError as e:
            return False, f"script filter error: {e}"
        parts.append((passed, "" if passed else "script filter did not return true", True))
    if not parts:
        return True, ""
    if dep.filters_logical_operator == "or":
        if any(ok for ok, _, _ in parts):
            return True, ""
        return False, "; ".join(why for _, why, _ in parts)
    for ok, why, _ in parts:
        if not ok:
            return False, why
    return True, ""
