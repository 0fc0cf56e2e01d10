"""The `serve-env` step: the candidate's serving environment, built where every later server finds it.

Called by `python -m components.stress_test --prepare-env` (the `serve-env` template of the `stress-test`
WorkflowTemplate, which runs before the load). On the local stack the stress test's own model server runs
sandboxed, with the stack's environments read-only and no package cache: a model that is served in its
logged environment would be built there from scratch, then again by the Rollout's server. This step is
one of the stack's environment builders (as `build-env` is): it downloads the model and builds its
environment into `$SLUICE_ENVS_DIR`, started from the project's environment when that holds every package
the model logged, and both servers use it as it is. It runs none of the model's code. Elsewhere (no
`$SLUICE_ENVS_DIR`: a cluster, where the server's image is the environment) it has nothing to do.
"""

from __future__ import annotations

import os
from pathlib import Path

from contract import ENVS_DIR_ENV

__all__ = ["prepare_env"]


def prepare_env(model_uri: str, tracking_uri: str | None) -> str:
    """Build the serving environment of `model_uri` into `$SLUICE_ENVS_DIR`; returns what was done (one line).

    Raises:
        UserError: the model's environment cannot be read or built.
    """
    envs = os.environ.get(ENVS_DIR_ENV, "")
    if not envs:
        return f"no ${ENVS_DIR_ENV}: the model's server builds or has its environment where it runs"
    from components.serve._env import serve_env
    from components.serve._load import fetch, served_here

    path, _ = fetch(model_uri, tracking_uri)
    if served_here(path):
        return f"{model_uri} is served in the components' own interpreter: nothing to build"
    python = serve_env(path, Path(envs))
    return f"{model_uri} is served with {python}"
