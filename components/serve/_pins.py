"""Exact pins (`name==version`) of a model's logged requirements, with names compared as PyPI compares them.

Called by `_flavors` (is this interpreter's library the version the model pins?) and by `_env` (does a built
environment already hold every package the model pins?).
"""

from __future__ import annotations

import re

__all__ = ["canonical_name", "pin_of"]

#: `name[extras]==version`, anything after the version (a marker, a comment) ignored
_PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def canonical_name(name: str) -> str:
    """A distribution name as PEP 503 normalises it: lower case, runs of `-`, `_` and `.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pin_of(line: str) -> tuple[str, str] | None:
    """`(canonical name, version)` of a `name==version` requirement line; None for any other line."""
    found = _PIN.match(line)
    return (canonical_name(found.group(1)), found.group(2)) if found else None
