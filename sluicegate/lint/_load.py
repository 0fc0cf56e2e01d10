"""Reading YAML files and directories into `(file, document)` pairs for `lint_documents`.

Called by `sluice lint` (and usable by anything that lints files). Files may hold several documents;
directories are searched recursively for `*.yaml`, `*.yml` and `*.json`. Malformed YAML becomes one
LintError naming `file:line`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from sluicegate.lint._types import LintError

__all__ = ["SUFFIXES", "load_paths"]

#: File name endings read from directories (a file named explicitly is read whatever its name).
SUFFIXES = (".yaml", ".yml", ".json")


def _files(paths: Iterable[Path | str]) -> tuple[list[Path], list[LintError]]:
    files: list[Path] = []
    errors: list[LintError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(LintError(str(path), "", "", "", "no such file or directory", "check the path"))
    return files, errors


def _malformed(file: Path, e: yaml.YAMLError) -> LintError:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    context = getattr(e, "context", None)
    what = f"malformed YAML: {problem}" + (f" ({context})" if context else "")
    return LintError(where, "", "", "", what, "fix the indentation, quoting or brackets at that line")


def load_paths(paths: Iterable[Path | str]) -> tuple[list[tuple[str, Any]], list[LintError]]:
    """Every document in `paths` with the file it came from, and the errors of unreadable files.

    Empty documents (`---` with nothing after it) are skipped; other non-mapping documents are kept so
    that `lint_documents` can report them.
    """
    files, errors = _files(paths)
    docs: list[tuple[str, Any]] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            errors.append(LintError(str(file), "", "", "", f"cannot read: {e}", "check the file's permissions"))
            continue
        try:
            loaded = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as e:
            errors.append(_malformed(file, e))
            continue
        docs.extend((str(file), doc) for doc in loaded)
    return docs, errors
