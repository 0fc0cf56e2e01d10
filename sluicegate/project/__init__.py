"""Model projects on the user's side: scaffolding one, and wiring its pushes to the running stack.

`sluice init` scaffolds one (`_scaffold`); `sluice project connect` wires its pushes (`_connect`).

Called by `sluicegate.cli._project`. The contract itself (MLproject + sluicegate.yaml) is checked by
`components.project`, which the pipeline's steps share.
"""

from sluicegate.project._connect import (
    WEBHOOK_SECRET,
    Connection,
    GithubRemote,
    connect_project,
    disconnect_project,
)
from sluicegate.project._scaffold import TEMPLATES, scaffold

__all__ = [
    "TEMPLATES",
    "WEBHOOK_SECRET",
    "Connection",
    "GithubRemote",
    "connect_project",
    "disconnect_project",
    "scaffold",
]
