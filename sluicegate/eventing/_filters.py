"""Sensor dependency filters evaluated as Argo Events does (data, exprs, context).

Called by the sensor controller for every event that reaches a dependency. As in Argo, a missing path
or a bad expression fails the filter (with the reason recorded) rather than raising; string values are
unanchored regexes matched against gjson's string form (arrays and objects as compact JSON).
"""

from __future__ import annotations

import re
from typing import Any

from sluicegate.eventing._expr import ExprError, evaluate
from sluicegate.eventing._gotemplate import TemplateError, render
from sluicegate.eventing._model import DataFilter, EventContextFilter, EventDependency, ExprFilter
from sluicegate.eventing._paths import MISSING, as_string, get_path

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


def filter_event(dep: EventDependency, context: dict[str, Any], data: Any) -> FilterResult:
    """Whether an event passes a dependency's filters, and why not."""
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
