"""`sluice lint` on model projects: `sluicegate.yaml`, `MLproject` and the environment files they name.

Called by `sluicegate.lint.lint_paths` for every directory that holds a `sluicegate.yaml` or an MLproject
file at its root, and for such files named on the command line. The checks themselves live in
`components.project` (the train step runs the same ones), so lint and pipeline agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from components.project import CONFIG_FILE, check_project, find_mlproject
from sluicegate.lint._types import LintError

__all__ = ["lint_projects", "project_roots"]


def project_roots(paths: Iterable[Path | str]) -> list[Path]:
    """The model-project roots among `paths`: folders with sluicegate.yaml or MLproject, and those files' folders."""
    roots: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() and (path.name == CONFIG_FILE or path.name.lower() == "mlproject"):
            root = path.parent
        elif path.is_dir() and ((path / CONFIG_FILE).is_file() or find_mlproject(path) is not None):
            root = path
        else:
            continue
        if root not in roots:
            roots.append(root)
    return roots


def lint_projects(paths: Iterable[Path | str]) -> tuple[int, list[LintError]]:
    """Check each model project among `paths`; returns how many were checked and their problems."""
    roots = project_roots(paths)
    errors = [
        LintError(str(root), "", "", "", e.what, e.fix or "see docs/model-projects.md")
        for root in roots
        for e in check_project(root)
    ]
    return len(roots), errors
