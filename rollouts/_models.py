"""Pydantic models for the subset of Argo Rollouts (and core Kubernetes) documents Sluicegate renders.

There is no Python library for Argo Rollouts; these models cover exactly the fields we use, with Python
names that serialise to the camelCase of the CRDs (`to_dict()`). Built by `rollouts._service` and
`rollouts._analysis`; the rendered documents are checked against the official CRD schemas in tests.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = [
    "AnalysisArg",
    "AnalysisTemplate",
    "AnalysisTemplateSpec",
    "CanaryStep",
    "CanaryStrategy",
    "Container",
    "Metric",
    "ObjectMeta",
    "PodSpec",
    "PodTemplate",
    "Resource",
    "Rollout",
    "RolloutAnalysis",
    "RolloutSpec",
]


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def to_dict(self) -> dict[str, Any]:
        """The document as the API server expects it (camelCase keys, unset fields left out)."""
        return self.model_dump(by_alias=True, exclude_none=True)


class ObjectMeta(_Model):
    """`metadata` of any object."""

    name: str
    namespace: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class Resource(_Model):
    """Any Kubernetes object: apiVersion, kind, metadata, and a free-form spec (Service, Ingress)."""

    api_version: str
    kind: str
    metadata: ObjectMeta
    spec: dict[str, Any]


class Container(_Model):
    """The subset of a core/v1 Container we set; probes, env and securityContext are plain dicts."""

    name: str
    image: str
    command: list[str] | None = None
    args: list[str] | None = None
    ports: list[dict[str, Any]] | None = None
    env: list[dict[str, Any]] | None = None
    readiness_probe: dict[str, Any] | None = None
    liveness_probe: dict[str, Any] | None = None
    resources: dict[str, Any] | None = None
    security_context: dict[str, Any] | None = None
    volume_mounts: list[dict[str, Any]] | None = None


class PodSpec(_Model):
    """The subset of a core/v1 PodSpec we set."""

    containers: list[Container]
    security_context: dict[str, Any] | None = None
    volumes: list[dict[str, Any]] | None = None
    service_account_name: str | None = None
    automount_service_account_token: bool | None = None
    restart_policy: str | None = None


class PodTemplate(_Model):
    """`spec.template` of a Rollout (or a Job)."""

    metadata: dict[str, Any] | None = None
    spec: PodSpec


class AnalysisArg(_Model):
    """An argument passed to an AnalysisTemplate (`value`) or declared by one (`value` is its default)."""

    name: str
    value: str | None = None
    value_from: dict[str, Any] | None = None


class RolloutAnalysis(_Model):
    """Inline (a step) or background (`strategy.canary.analysis`) analysis."""

    templates: list[dict[str, Any]]
    args: list[AnalysisArg] | None = None
    starting_step: int | None = None


class CanaryStep(_Model):
    """One canary step: exactly one of setWeight, pause, analysis."""

    set_weight: int | None = None
    pause: dict[str, Any] | None = None
    analysis: RolloutAnalysis | None = None


class CanaryStrategy(_Model):
    """`spec.strategy.canary`."""

    canary_service: str
    stable_service: str
    steps: list[CanaryStep]
    traffic_routing: dict[str, Any] | None = None
    analysis: RolloutAnalysis | None = None
    canary_metadata: dict[str, Any] | None = None
    stable_metadata: dict[str, Any] | None = None
    abort_scale_down_delay_seconds: int | None = None
    scale_down_delay_seconds: int | None = None


class RolloutSpec(_Model):
    """`spec` of a Rollout."""

    replicas: int
    revision_history_limit: int | None = None
    progress_deadline_seconds: int | None = None
    selector: dict[str, Any]
    template: PodTemplate
    strategy: dict[str, CanaryStrategy]


class Rollout(_Model):
    """An Argo Rollout."""

    api_version: str = "argoproj.io/v1alpha1"
    kind: str = "Rollout"
    metadata: ObjectMeta
    spec: RolloutSpec


class Metric(_Model):
    """One AnalysisTemplate metric (prometheus, web or job provider)."""

    name: str
    interval: str | None = None
    initial_delay: str | None = None
    count: int | str | None = None
    success_condition: str | None = None
    failure_condition: str | None = None
    failure_limit: int | None = None
    inconclusive_limit: int | None = None
    consecutive_error_limit: int | None = None
    provider: dict[str, Any]


class AnalysisTemplateSpec(_Model):
    """`spec` of an AnalysisTemplate."""

    args: list[AnalysisArg] | None = None
    metrics: list[Metric]


class AnalysisTemplate(_Model):
    """An Argo Rollouts AnalysisTemplate."""

    api_version: str = "argoproj.io/v1alpha1"
    kind: str = "AnalysisTemplate"
    metadata: ObjectMeta
    spec: AnalysisTemplateSpec
