"""Shared helpers of the events definitions: namespace, ports, Hera-model-to-manifest conversion, RBAC.

Called by `events._sources`, `events._sensors` and `events._bus` while they build their documents.
"""

from __future__ import annotations

from typing import Any

from hera.events.models import Template
from hera.events.models.github.com.argoproj.argo_events.pkg.apis.events.v1alpha1 import (
    Container as EventsContainer,
)
from hera.events.models.io.k8s.api.core.v1 import (
    Capabilities,
    PodSecurityContext,
    ResourceRequirements,
    SeccompProfile,
    SecretKeySelector,
    SecurityContext,
)
from hera.events.models.io.k8s.apimachinery.pkg.api.resource import Quantity
from hera.events.models.io.k8s.apimachinery.pkg.apis.meta.v1 import ObjectMeta
from pydantic import BaseModel, ConfigDict, Field

from contract import NAMESPACE, PART_OF

__all__ = [
    "API_VERSION",
    "NAMESPACE",
    "PolicyRule",
    "dump",
    "meta",
    "pod_template",
    "rbac_for_sensor",
    "secret",
]

API_VERSION = "argoproj.io/v1alpha1"
_LABELS = {**PART_OF, "app.kubernetes.io/component": "events"}


def meta(name: str, **labels: str) -> ObjectMeta:
    """Metadata of one of our documents: name, namespace, the project labels."""
    return ObjectMeta(name=name, namespace=NAMESPACE, labels={**_LABELS, **labels})


def pod_template(service_account: str | None = None) -> Template:
    """The pod the Argo Events controller runs for a Sensor or EventSource.

    Non-root, read-only root filesystem, no privilege escalation, requests and limits sized for a webhook
    server or a trigger loop.
    """
    container = EventsContainer(
        resources=ResourceRequirements(
            requests={"cpu": Quantity("50m"), "memory": Quantity("64Mi")},
            limits={"cpu": Quantity("500m"), "memory": Quantity("256Mi")},
        ),
        security_context=SecurityContext(
            run_as_non_root=True,
            read_only_root_filesystem=True,
            allow_privilege_escalation=False,
            capabilities=Capabilities(drop=["ALL"]),
        ),
    )
    pod = PodSecurityContext(
        run_as_non_root=True, run_as_user=10001, seccomp_profile=SeccompProfile(type="RuntimeDefault")
    )
    return Template(service_account_name=service_account, container=container, security_context=pod)


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
