"""Sprig's date, duration, regular-expression, URL and JSON-decoding functions, with Go's layouts and syntax.

Called by `_sprig`, which merges `MORE` into the sprig set. Dates take what sprig's take: a time (from
`now`/`toDate`) or Unix seconds; like sprig, anything else (e.g. an RFC 3339 string) means now — parse a
string with `toDate` first. Layouts are Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluicegate.errors import ExprError
from sluicegate.lang._duration import parse_duration

__all__ = ["MORE", "go_duration", "go_format"]

# Go's layout elements, longest first where one is a prefix of another (time/format.go's std chunks).
_LAYOUT = re.compile(
    r"January|Jan|Monday|Mon|MST|2006|002|_2|-07:00:00|-070000|-07:00|-0700|-07|Z07:00:00|Z070000|Z07:00|Z0700|Z07"
    r"|01|02|03|04|05|06|15|PM|pm|[.,](?:0+|9+)|1|2|3|4|5"
)


def _tzname(t: datetime, fmt: str) -> str:
    off = t.utcoffset() or timedelta(0)
    if fmt.startswith("Z") and not off:
        return "Z"
    total = int(off.total_seconds())
    sign, total = ("-" if total < 0 else "+"), abs(total)
    h, m, s = total // 3600, total % 3600 // 60, total % 60
    body = fmt.lstrip("Z-")
    if body == "07":
        return f"{sign}{h:02d}"
    if body in ("0700", "07:00"):
        return f"{sign}{h:02d}{':' if ':' in body else ''}{m:02d}"
    return f"{sign}{h:02d}{':' if ':' in body else ''}{m:02d}{':' if ':' in body else ''}{s:02d}"


def _element(t: datetime, tok: str) -> str:
    fixed = {
        "January": "%B", "Jan": "%b", "Monday": "%A", "Mon": "%a", "01": "%m",
        "02": "%d", "15": "%H", "03": "%I", "04": "%M", "05": "%S", "PM": "%p",
    }  # fmt: skip
    if tok in fixed:
        return t.strftime(fixed[tok])
    if tok == "2006":  # Go pads the year to four digits (`0001` for the zero time); strftime's %Y may not
        return f"{t.year:04d}"
    if tok == "06":
        return f"{t.year % 100:02d}"
    simple = {"1": t.month, "2": t.day, "3": t.hour % 12 or 12, "4": t.minute, "5": t.second}
    if tok in simple:
        return str(simple[tok])
    if tok == "_2":
        return f"{t.day:2d}"
    if tok == "002":
        return f"{t.timetuple().tm_yday:03d}"
    if tok == "pm":
        return t.strftime("%p").lower()
    if tok == "MST":
        return t.tzname() or "UTC"
    if tok[0] in ".," and tok[1] in "09":
        digits = f"{t.microsecond:06d}000"[: len(tok) - 1]
        return tok[0] + digits if tok[1] == "0" else (tok[0] + digits.rstrip("0") if digits.strip("0") else "")
    return _tzname(t, tok)


def go_format(t: datetime, layout: str) -> str:
    """`t.Format(layout)` with Go's reference-time layout."""
    return _LAYOUT.sub(lambda m: _element(t, m.group(0)), layout)


def _strptime_layout(layout: str) -> str:
    table = {
        "January": "%B", "Jan": "%b", "Monday": "%A", "Mon": "%a", "2006": "%Y", "06": "%y", "01": "%m",
        "02": "%d", "15": "%H", "03": "%I", "04": "%M", "05": "%S", "PM": "%p", "1": "%m", "2": "%d", "_2": "%d",
        "3": "%I", "4": "%M", "5": "%S", "MST": "%Z",
    }  # fmt: skip

    def conv(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok in table:
            return table[tok]
        if tok[0] in ".,":
            return tok[0] + "%f"
        return "%z"

    return _LAYOUT.sub(conv, re.sub(r"%", "%%", layout))


def _to_date(layout: str, value: Any) -> datetime:
    """Sprig's `toDate`: Go's zero time when `value` does not parse (`mustToDate` fails)."""
    try:
        return _must_to_date(layout, value)
    except ExprError:
        return _ZERO_TIME


def _must_to_date(layout: str, value: Any) -> datetime:
    text = str(value)
    try:
        pattern = _strptime_layout(layout)
        return datetime.strptime(text.replace("Z", "+0000") if "%z" in pattern else text, pattern)
    except ValueError as e:
        raise ExprError(f'toDate: cannot parse "{text}" as "{layout}"') from e


_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)  # Go's time.Time{}


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).astimezone()
    return datetime.now().astimezone()


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def go_duration(seconds: float) -> str:
    """Go's `time.Duration.String()` of a number of seconds: `1h2m3s`, `1.5s`, `500ms`, `0s`."""
    if seconds == 0:
        return "0s"
    sign, s = ("-" if seconds < 0 else ""), abs(seconds)
    if s < 1:
        for unit, scale in (("ms", 1e3), ("µs", 1e6), ("ns", 1e9)):
            if s * scale >= 1:
                return f"{sign}{s * scale:.9g}{unit}"
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    out = f"{sec:.9f}".rstrip("0").rstrip(".") + "s"
    if h or m:
        out = f"{int(m)}m" + out
    if h:
        out = f"{int(h)}h" + out
    return sign + out


def _duration_round(value: Any) -> str:
    if isinstance(value, str):
        seconds = parse_duration(value, bare="ns", where="durationRound")
    elif isinstance(value, datetime):
        seconds = (datetime.now(UTC) - _time(value)).total_seconds()
    else:
        seconds = float(value) if isinstance(value, (int, float)) else 0.0
    u = abs(seconds)
    for unit, size in (("y", 365 * 86400), ("mo", 30 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if u > size:
            return f"{int(u // size)}{unit}"
    return "0s"


def _must_date_modify(change: str, t: Any) -> datetime:
    """Go's `time.ParseDuration`: an optional sign, then units on every number but a lone 0."""
    text = str(change)
    sign = -1.0 if text.startswith("-") else 1.0
    body = text[1:] if text[:1] in "+-" else text
    if body != "0" and not re.search(r"[a-zµμ]$", body):
        raise ExprError(f'time: missing unit in duration "{text}"', where="mustDateModify", fix='e.g. "-1.5h"')
    return _time(t) + timedelta(seconds=sign * parse_duration(body, bare="ns", where="mustDateModify"))


def _date_modify(change: str, t: Any) -> datetime:
    """Sprig's `dateModify`: the date unchanged when `change` is not a Go duration (`mustDateModify` fails)."""
    try:
        return _must_date_modify(change, t)
    except ExprError:
        return _time(t)


def _from_json(s: Any, must: bool) -> Any:
    """Sprig's `fromJson`: nil for text that is not JSON; `mustFromJson` fails instead."""
    text = s if isinstance(s, str) else str(s)
    try:
        return json.loads(text)
    except ValueError as e:
        if must:
            raise ExprError(f"mustFromJson: {text[:40]!r} is not JSON: {e}") from e
        return None


def _regex_match(regex: str, s: Any) -> bool:
    """Sprig's `regexMatch`: false for a pattern that does not compile (`mustRegexMatch` fails)."""
    try:
        return re.search(regex, str(s)) is not None
    except re.error:
        return False


def _go_repl(repl: str) -> str:
    """Go's `Regexp.Expand` template (`$1`, `${1}`, `${name}`, `$$`) as Python's replacement string."""
    out = re.sub(r"\\", r"\\\\", repl)
    ref = re.compile(r"\$(?:\{(\w+)\}|(\w+)|(\$))")
    return ref.sub(lambda m: "$" if m.group(3) else f"\\g<{m.group(1) or m.group(2)}>", out)


def _url_parse(value: Any) -> dict[str, str]:
    u = urlsplit(str(value))
    userinfo = u.netloc.rpartition("@")[0]
    return {
        "scheme": u.scheme, "host": u.netloc.rpartition("@")[2], "hostname": u.hostname or "", "path": u.path,
        "query": u.query, "opaque": "", "fragment": u.fragment, "userinfo": userinfo,
    }  # fmt: skip


def _url_join(d: dict[str, Any]) -> str:
    netloc = (f"{d['userinfo']}@" if d.get("userinfo") else "") + str(d.get("host", ""))
    parts = (str(d.get(k, "")) for k in ("scheme", "netloc", "path", "query", "fragment"))
    scheme, _, path, query, fragment = parts
    return str(urlunsplit((scheme, netloc, path, query, fragment)))


def _find_all(regex: str, s: Any, n: Any) -> list[str]:
    found = [m.group(0) for m in re.finditer(regex, str(s))]
    return found if int(n) < 0 else found[: int(n)]


def _split(regex: str, s: Any, n: Any) -> list[str]:
    count = int(n)
    if count == 0:
        return []
    return re.split(regex, str(s), maxsplit=max(count - 1, 0) if count > 0 else 0)


MORE: dict[str, Callable[..., Any]] = {
    "now": lambda: datetime.now().astimezone(),
    "date": lambda layout, t: go_format(_time(t), layout),
    "dateInZone": lambda layout, t, zone: go_format(_time(t).astimezone(_zone(zone)), layout),
    "htmlDate": lambda t: go_format(_time(t), "2006-01-02"),
    "htmlDateInZone": lambda t, zone: go_format(_time(t).astimezone(_zone(zone)), "2006-01-02"),
    "dateModify": _date_modify,
    "mustDateModify": _must_date_modify,
    "ago": lambda t: go_duration(round((datetime.now(UTC) - _time(t)).total_seconds())),
    "toDate": _to_date,
    "mustToDate": _must_to_date,
    "unixEpoch": lambda t: str(int(_time(t).timestamp())),
    "duration": lambda sec: go_duration(float(str(sec)) if str(sec).strip() else 0.0),
    "durationRound": _duration_round,
    "regexMatch": _regex_match,
    "regexFindAll": _find_all,
    "regexFind": lambda regex, s: m.group(0) if (m := re.search(regex, str(s))) else "",
    "regexReplaceAll": lambda regex, s, repl: re.sub(regex, _go_repl(str(repl)), str(s)),
    "regexReplaceAllLiteral": lambda regex, s, repl: re.sub(regex, lambda _: str(repl), str(s)),
    "regexSplit": _split,
    "regexQuoteMeta": lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", str(s)),
    "fromJson": lambda s: _from_json(s, must=False),
    "mustFromJson": lambda s: _from_json(s, must=True),
    "urlParse": _url_parse,
    "urlJoin": _url_join,
}
MORE["mustRegexMatch"] = lambda regex, s: re.search(regex, str(s)) is not None
for _name in ("regexFindAll", "regexFind", "regexReplaceAll", "regexReplaceAllLiteral", "regexSplit"):
    MORE["must" + _name[0].upper() + _name[1:]] = MORE[_name]
MORE["date_in_zone"], MORE["date_modify"] = MORE["dateInZone"], MORE["dateModify"]
MORE["must_date_modify"] = MORE["mustDateModify"]
