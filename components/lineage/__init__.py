"""The `tag-rollout` step: a deployed model version and the Rollout it went to name each other.

Called by the `evaluate-and-deploy` WorkflowTemplate's `deploy` steps (`python -m components.lineage ...`)
once the Rollout is applied, and by tests. The Rollout carries the version in its annotations (set by the
applied manifest); this step sets the other direction on the MLflow model version.
"""

from components.lineage._tag import ROLLOUT_TAGS, tag_rollout

__all__ = ["ROLLOUT_TAGS", "tag_rollout"]
