"""Tag a registered model version with the Rollout it was deployed to.

Called by `components.lineage.__main__`. Lineage reads git commit -> workflow -> run -> model version ->
Rollout: registration tags the version with `git.revision`, `argo.workflow` and `run_id`; this adds
`argo.rollout` (`<namespace>/<name>`), the Rollout's `metadata.generation` the apply produced
(`argo.rollout.generation`), the revision its controller gave that spec (`argo.rollout.revision`, Argo's
`rollout.argoproj.io/revision`: what `sluice rollout undo --to-revision` and `kubectl argo rollouts undo`
take) and the workflow that deployed it (`argo.rollout.workflow`).
"""

from __future__ import annotations

import re

from components._common import UserError
from components._common._rest import rest_client, rest_errors

__all__ = ["ROLLOUT_TAGS", "tag_rollout"]

#: The model version tags this step sets, by meaning.
ROLLOUT_TAGS = {
    "rollout": "argo.rollout",
    "generation": "argo.rollout.generation",
    "revision": "argo.rollout.revision",
    "workflow": "argo.rollout.workflow",
}
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def tag_rollout(
    tracking_uri: str,
    model_name: str,
    version: str,
    rollout: str,
    *,
    generation: str = "",
    revision: str = "",
    workflow: str = "",
) -> dict[str, str]:
    """Set the rollout tags on `model_name` version `version`; returns the tags set.

    Raises:
        UserError: `rollout` is not `<namespace>/<name>` of DNS-1123 labels, the version is not a number,
            or MLflow does not know the version (one line naming it).
    """
    namespace, _, name = rollout.partition("/")
    if not (_DNS1123.match(namespace) and _DNS1123.match(name)):
        raise UserError(f"--rollout {rollout!r} is not NAMESPACE/NAME", fix="pass e.g. --rollout sluicegate/churn")
    if not version.isdigit():
        raise UserError(f"--model-version {version!r} is not a version number", fix="pass e.g. --model-version 3")
    if revision and not revision.isdigit():
        raise UserError(f"--revision {revision!r} is not a revision number", fix="pass e.g. --revision 2")
    tags = {ROLLOUT_TAGS["rollout"]: rollout}
    for key, value in (("generation", generation), ("revision", revision), ("workflow", workflow)):
        if value:
            tags[ROLLOUT_TAGS[key]] = value
    with rest_client(tracking_uri) as client, rest_errors(tracking_uri):
        client.get_model_version(model_name, version)
        for key, value in tags.items():
            client.set_model_version_tag(model_name, version, key, value)
    return tags
