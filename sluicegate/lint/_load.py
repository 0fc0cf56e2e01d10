"""Reading YAML files and directories into `(file, document)` pairs for `lint_documents`.

The files are read by the one manifest reader (`sluicegate.manifests`); its errors become LintErrors.

Called by `sluice lint` (and usable by anything that lints files). Files may hold several documents;
directories are searched recursively for `*.yaml`, `*.yml` and `*.json`. Malformed YAML becomes one
LintError naming `file:line`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sluicegate.errors import ManifestError
from sluicegate.lint._types import LintError
from sluicegate.manifests import read_yaml, yaml_files

__all__ = ["SUFFIXES", "load_paths"]

#: File name endings read from directories (a file named explicitly is read whatever its name).
SUFFIXES = (".yaml", ".yml", ".json")


def load_paths(paths: Iterable[Path | str]) -> tuple[list[tuple[str, Any]], list[LintError]]:
    """Every document in `paths` with the file it came from, and the errors of unreadable files.

    Empty documents (`---` with nothing after it) are skipped; other non-mapping documents are kept so
    that `lint_documents` can report them.
    """
    files: list[Path] = []
    errors: list[LintError] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            errors.append(LintError(str(path), "", "", "", "no such file or directory", "check the path"))
            continue
        files.extend(yaml_files(path, SUFFIXES))
    docs: list[tuple[str, Any]] = []
    for file in files:
        try:
            loaded = [d for d in read_yaml(file) if d is not None]
        except ManifestError as e:
            errors.append(LintError(e.where, "", "", "", e.what, e.fix))
            continue
        docs.extend((str(file), doc) for doc in loaded)
    return docs, errors
