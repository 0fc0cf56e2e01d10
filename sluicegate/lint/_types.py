"""`LintError`: one problem found by `sluice lint`, printed as one line.

Created by every check of `sluicegate.lint`; read by the `sluice lint` command and the API's lint
endpoint, which turn it into a line or a 400 with the field path.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluicegate.errors import field_path

__all__ = ["LintError", "field_path"]


@dataclass(frozen=True)
class LintError:
    """What is wrong where, and how to fix it.

    Attributes:
        file: the file the document came from (with `:line` for malformed YAML).
        kind: the document's kind (empty when the file could not be parsed).
        name: the document's `metadata.name` (or `generateName`).
        path: the field path inside the document, e.g. `spec.templates[3].dag.tasks[1]`.
        message: what is wrong, with the offending value.
        fix: how to fix it.
    """

    file: str
    kind: str
    name: str
    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.kind or self.name:
            parts.append(f"{self.kind}/{self.name}")
        if self.path:
            parts.append(self.path)
        return ": ".join(parts) + f": {self.message}; {self.fix}"
