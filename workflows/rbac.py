"""The pipeline's ServiceAccount and the least privileges its steps need (Role + RoleBinding).

Called by `workflows.manifests()`. Every template runs as `sluicegate-pipeline`. Argo's executor
reports step outputs through `workflowtaskresults`; the deploy step reads and patches the model's
Rollout. Nothing else: no Secrets, no Pods, no cluster scope. Hera has no models for core Kubernetes
kinds, so these are plain documents.
"""

from __future__ import annotations

from typing import Any

from workflows._common import NAMESPACE, SERVICE_ACCOUNT
from workflows._step import LABELS

__all__ = ["manifests"]


def manifests() -> list[dict[str, Any]]:
    """ServiceAccount, Role and RoleBinding of the pipeline."""
    metadata = {"name": SERVICE_ACCOUNT, "namespace": NAMESPACE, "labels": dict(LABELS)}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(metadata)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": dict(metadata),
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtaskresults"],
                    "verbs": ["create", "patch"],
                },
                {"apiGroups": ["argoproj.io"], "resources": ["rollouts"], "verbs": ["get", "create", "patch"]},
                # the deploy step applies a model's Services and Ingress the first time it deploys the model
                {"apiGroups": [""], "resources": ["services"], "verbs": ["get", "create", "patch"]},
                {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": ["get", "create", "patch"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": dict(metadata),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SERVICE_ACCOUNT},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}],
        },
    ]
