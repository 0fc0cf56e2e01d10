"""Model projects on the user's side: `sluice init` scaffolds one (see `_scaffold`).

Called by `sluicegate.cli._project`. The contract itself (MLproject + sluicegate.yaml) is checked by
`components.project`, which the pipeline's steps share.
"""

from sluicegate.project._scaffold import TEMPLATES, scaffold

__all__ = ["TEMPLATES", "scaffold"]
