"""The string form of a value, one function with the two dialects Argo's languages print in.

Argo's languages turn a value into text in two ways that really differ, kept here as named options of
one `text_of` function instead of two copies:

- `EXPR` (expr-lang of Argo Workflows: `{{=...}}`, `string(...)`, `when` after substitution): whole floats
  below 1e15 print without `.0`, larger ones keep Python's float form; a missing value is not a value
  (there is no MISSING in expr: a missing key is an error or nil before it gets here). Called by `to_str`.
- `GJSON` (gjson's `Result.String()` in Argo Events: Sensor paths, govaluate `+` and Go templates): a
  missing path prints as the empty string, and whole floats up to 1e21 print as integers, as JSON
  numbers from an event payload do. Called by `as_string`.

Both print strings as they are, booleans as `true`/`false`, None as the empty string and other values
as compact JSON. Called by `_funcs`, `_walker`, `_govaluate`, `_gotemplate` and the controllers through
`sluicegate.lang`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sluicegate.lang._paths import MISSING

__all__ = ["EXPR", "GJSON", "TextDialect", "as_string", "text_of", "to_str"]


@dataclass(frozen=True)
class TextDialect:
    """How one language prints a value: where whole floats stop printing as integers, what MISSING is."""

    name: str
    #: whole floats whose magnitude is below this print without `.0`
    whole_float_limit: float
    #: MISSING (a path that is not there) prints as the empty string
    missing_is_empty: bool


EXPR = TextDialect("expr", whole_float_limit=1e15, missing_is_empty=False)
GJSON = TextDialect("gjson", whole_float_limit=1e21, missing_is_empty=True)


def text_of(value: Any, dialect: TextDialect) -> str:
    """`value` as text in `dialect`: strings as-is, whole floats without `.0`, the rest as compact JSON."""
    if value is None or (dialect.missing_is_empty and value is MISSING):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < dialect.whole_float_limit:
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def to_str(value: Any) -> str:
    """Argo Workflows' (expr-lang's) string form of a value: `text_of(value, EXPR)`."""
    return text_of(value, EXPR)


def as_string(value: Any) -> str:
    """Gjson-style `Result.String()` of Argo Events: `text_of(value, GJSON)`."""
    return text_of(value, GJSON)
