"""`LintError`: one problem found by `sluice lint`, printed as one line.

Created by every check of `sluicegate.lint`; read by the `sluice lint` command and the API's lint
endpoint, which turn it into a line or a 400 with the field path.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def field_path(*parts: str | int) -> str:
    """Join keys and list indexes into a field path: `("spec", "templates", 3)` -> `spec.templates[3]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else part
    return out
