"""Checks a whole model project: sluicegate.yaml, MLproject, the entry point and its parameters, the env.

Called by `sluice lint` (for a project directory, or a `sluicegate.yaml`/`MLproject` file) and by the train
step before it builds anything. Returns the problems as `UserError`s instead of stopping at the first
file, so `sluice lint` can show every file's problem at once.
"""

from __future__ import annotations

from pathlib import Path

from components._common import UserError
from components.project._config import load_config
from components.project._envspec import resolve_env
from components.project._mlproject import find_mlproject, load_mlproject

__all__ = ["check_project"]


def check_project(root: Path) -> list[UserError]:
    """Every problem of the model project at `root` (each prints as `file: key: what; fix`); empty if fine."""
    problems: list[UserError] = []
    config = None
    try:
        config = load_config(root)
    except UserError as e:
        problems.append(e)
    try:
        project = load_mlproject(root)
    except UserError as e:
        return [*problems, e]
    script = config is not None and Path(config.train.entry_point).suffix in (".py", ".sh")
    if find_mlproject(root) is None and not script:
        problems.append(
            UserError(
                "MLproject: no such file at the project root",
                fix="add one with an entry point `main`",
            )
        )
    elif config is not None:
        try:
            entry = project.entry_point(config.train.entry_point, root)
            given = {k: str(v) for k, v in config.train.parameters.items()}
            entry.command_line(given, "sluicegate.yaml: train.parameters")
        except UserError as e:
            problems.append(e)
    try:
        resolve_env(root, project)
    except UserError as e:
        problems.append(e)
    return problems
