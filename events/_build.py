"""Shared helpers of the events definitions: namespace, ports, Hera-model-to-manifest conversion, RBAC.

Called by `events._sources`, `events._sensors` and `events._bus` while they build their documents.
"""

from __future__ import annotations

from typing import Any

from hera.events.models.io.k8s.api.core.v1 import SecretKeySelector
from hera.events.models.io.k8s.apimachinery.pkg.apis.meta.v1 import ObjectMeta
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "API_VERSION",
    "NAMESPACE",
    "PolicyRule",
    "dump",
    "meta",
    "rbac_for_sensor",
    "secret",
]

#: Every manifest of the project lives in this namespace.
NAMESPACE = "sluicegate"
API_VERSION = "argoproj.io/v1alpha1"
_LABELS = {"app.kubernetes.io/part-of": "sluicegate", "app.kubernetes.io/component": "events"}


def meta(name: str, **labels: str) -> ObjectMeta:
    """Metadata of one of our documents: name, namespace, the project labels."""
    return ObjectMeta(name=name, namespace=NAMESPACE, labels={**_LABELS, **labels})


def secret(name: str, key: str) -> SecretKeySelector:
    """A `secretKeyRef`."""
    return SecretKeySelector(name=name, key=key)


def dump(model: BaseModel, kind: str) -> dict[str, Any]:
    """A Hera model as a manifest dict: camelCase keys, no empty fields, `apiVersion` and `kind` set."""
    body = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return {"apiVersion": API_VERSION, "kind": kind, **_fix_int64(body)}


def _fix_int64(node: Any) -> Any:
    # Hera's generated models type int64 fields as strings; the CRD schema wants integers.
    if isinstance(node, dict):
        return {k: int(v) if k in _INT64 and isinstance(v, str) else _fix_int64(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_fix_int64(v) for v in node]
    return node


_INT64 = frozenset({"maxPayloadSize"})


class _K8s(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)


class PolicyRule(_K8s):
    """One RBAC rule."""

    api_groups: list[str] = Field(alias="apiGroups")
    resources: list[str]
    verbs: list[str]


def rbac_for_sensor(sensor: str, rules: list[PolicyRule]) -> tuple[str, list[dict[str, Any]]]:
    """ServiceAccount + Role (only `rules`) + RoleBinding for one Sensor; returns the account name and docs."""
    sa = f"{sensor}-sensor"
    metadata = meta(sa).model_dump(by_alias=True, exclude_none=True)
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": metadata,
            "rules": [r.model_dump(by_alias=True) for r in rules],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": NAMESPACE}],
        },
    ]
    return sa, docs
