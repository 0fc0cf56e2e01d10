"""Which build target a step works for when its `build-target` parameter says `auto`.

Called by `components.environment` (the `build-env` step) and `components.build` (the `build` step). The
local engine gives every step `SLUICE_ENVS_DIR` (where the stacks of the machine keep built environments); a pod on a
cluster has no such variable. So one rendered WorkflowTemplate, and the Sensor that starts it, work unchanged
on `sluice up` (`local`) and on a cluster (`cluster`, a Kaniko build).
"""

from __future__ import annotations

import os

from contract import ENVS_DIR_ENV

__all__ = ["ENVS_DIR_ENV", "TARGETS", "resolve_target"]

#: What a `--target` option accepts.
TARGETS: tuple[str, ...] = ("local", "cluster", "auto")


def resolve_target(target: str) -> str:
    """`local` or `cluster`: `target` itself, or for `auto`, `local` exactly when the local engine runs the step."""
    if target != "auto":
        return target
    return "local" if os.environ.get(ENVS_DIR_ENV) else "cluster"
