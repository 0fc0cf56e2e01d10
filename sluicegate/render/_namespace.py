"""Rendering the manifests for another team namespace (`sluice render --namespace NS`).

Called by `sluicegate.cli._render` before writing. The definitions name one namespace, `sluicegate`
(the one `sluice up` uses); a cluster gives every team its own (infra/terraform `teams`). Moving a set of
manifests is more than `metadata.namespace`: RoleBinding subjects, the resources a Sensor submits, and
the in-cluster URLs (`http://<service>.<namespace>.svc:<port>`, model hosts `<model>.<namespace>.local`)
all carry it. `relocate` rewrites exactly those and nothing else: label values such as
`app.kubernetes.io/part-of: sluicegate`, image names and repository owners keep the project's name.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

from contract import NAMESPACE
from sluicegate.errors import ManifestError

__all__ = ["SOURCE_NAMESPACE", "relocate"]

#: The namespace every definition names.
SOURCE_NAMESPACE = NAMESPACE
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _rewrite(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {k: (new if k == "namespace" and v == old else _rewrite(v, old, new)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite(v, old, new) for v in node]
    if isinstance(node, str):
        # `.<ns>.svc` (Service DNS names) and `.<ns>.local` (model hosts), bounded so that a longer
        # namespace or a label never matches.
        return re.sub(rf"(?<=\.){re.escape(old)}(?=\.(svc|local)\b)", new, node)
    return node


def relocate(documents: Sequence[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """The documents as they must be to run in `namespace` instead of `sluicegate` (copies).

    Raises:
        ManifestError: `namespace` is not a DNS-1123 label.
    """
    if not _DNS1123_LABEL.match(namespace):
        raise ManifestError(
            f"{namespace!r} is not a namespace name",
            where="--namespace",
            fix="use lowercase letters, digits and '-', at most 63 characters (e.g. team-blue)",
        )
    return [_rewrite(copy.deepcopy(doc), SOURCE_NAMESPACE, namespace) for doc in documents]
