"""Reading a model project's YAML files, and turning pydantic errors into one line naming file and key.

Called by `components.project._config` (sluicegate.yaml), `components.project._mlproject` (MLproject,
python_env.yaml, conda.yaml). Every problem becomes a `UserError` whose text starts with the file name as
the user wrote it (relative to the project root), then the key path, then what was wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from components._common import UserError

__all__ = ["describe_validation_error", "read_mapping"]


def read_mapping(path: Path, shown: str, *, fix: str) -> dict[str, Any]:
    """The top-level mapping of the YAML file `path` (shown to the user as `shown`).

    Raises:
        UserError: the file is missing, unreadable, not YAML, or not a mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise UserError(f"{shown}: no such file at the project root", fix=fix) from e
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{shown}: cannot read ({getattr(e, 'strerror', None) or e})", fix=fix) from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"{where}: not valid YAML ({problem})", fix="fix the indentation or quoting there") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{shown}: the top level is a {type(data).__name__}, not a mapping", fix=fix)
    return data


def describe_validation_error(e: ValidationError, shown: str, fix: str) -> UserError:
    """The first error of `e` as one line: `file: key.path: what (got value)`."""
    first = e.errors()[0]
    loc = [str(p) for p in first["loc"] if not str(p).startswith(("function-", "literal[", "constrained-"))]
    key = ".".join(loc) or "(top level)"
    got = first.get("input")
    msg = str(first["msg"])
    if first["type"] == "extra_forbidden":
        return UserError(f"{shown}: {key}: unknown key", fix=fix)
    if first["type"] == "missing":
        return UserError(f"{shown}: {key}: required", fix=fix)
    shown_value = "" if isinstance(got, dict | list) else f" (got {got!r})"
    msg = msg.removeprefix("Value error, ")
    return UserError(f"{shown}: {key}: {msg[0].lower()}{msg[1:]}{shown_value}", fix=fix)
