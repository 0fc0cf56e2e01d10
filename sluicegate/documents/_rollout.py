"""Typed views of the stored Rollout and AnalysisRun documents: the fields the local controller reads and writes.

Called where a document leaves the store: the rollout controller, its canary state machine, analysis runner,
actions and summary (`sluicegate.rollouts`), the UI, and the demo's outcome check.
Field names are Argo Rollouts' own (camelCase on the wire, snake_case in Python), plus the status fields the
local controller adds (`stableModel`, `canaryModel`, `weight`, `history`, `attempt`, `undoTo`, `pausedAt`,
`abortReason`). Unknown fields are kept (`extra="allow"`), and `to_doc()` leaves out what was never set, so a
document read, changed and written back differs from the stored one only in what the code changed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from sluicegate.errors import ManifestError, field_path

__all__ = [
    "AnalysisArg",
    "AnalysisRunDoc",
    "AnalysisRunSpec",
    "AnalysisRunStatus",
    "CanaryStatus",
    "CanaryStep",
    "CanaryStrategy",
    "Measurement",
    "Metric",
    "MetricResult",
    "ObjectMeta",
    "PauseCondition",
    "PauseStep",
    "PodTemplate",
    "Revision",
    "RolloutAnalysis",
    "RolloutDoc",
    "RolloutSpec",
    "RolloutStatus",
    "RunRef",
    "Strategy",
    "TemplateMeta",
    "parse_analysis_run",
    "parse_rollout",
]

Doc = dict[str, Any]


class _Doc(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", protected_namespaces=())

    def to_doc(self) -> Doc:
        """The JSON document: camelCase keys; fields never set (nor given) are left out, unknown ones kept."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    def has(self, name: str) -> bool:
        """Whether field `name` (Python name) was given or set, even as null (`pause: null` is a pause)."""
        return name in self.model_fields_set

    def drop(self, *names: str) -> None:
        """Remove fields (Python names) as `dict.pop` would: they are left out of `to_doc()` again."""
        for name in names:
            if name in type(self).model_fields:
                setattr(self, name, None)
                self.model_fields_set.discard(name)
            elif self.model_extra is not None:
                self.model_extra.pop(name, None)


class ObjectMeta(_Doc):
    """`metadata`: what the controller reads; labels, timestamps and the rest are kept as they are."""

    name: str
    namespace: str = ""
    uid: str | None = None
    generation: int | None = None
    resource_version: str | None = None
    creation_timestamp: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: list[dict[str, Any]] | None = None


# -- Rollout spec --------------------------------------------------------------------------------------
class AnalysisArg(_Doc):
    """An analysis argument: a `value`, or `valueFrom` (`podTemplateHashValue`, `fieldRef.fieldPath`)."""

    name: str
    value: Any = None
    value_from: dict[str, Any] | None = None


class RolloutAnalysis(_Doc):
    """A step's `analysis`, or the background `strategy.canary.analysis` (with `startingStep`)."""

    templates: list[dict[str, Any]] | None = None
    args: list[AnalysisArg] | None = None
    starting_step: int | None = None


class PauseStep(_Doc):
    """A `pause` step: without a duration it waits for `promote`."""

    duration: str | int | None = None


class CanaryStep(_Doc):
    """One canary step; the controller runs `setWeight`, `pause` and `analysis` and skips the others."""

    set_weight: int | None = None
    pause: PauseStep | None = None
    analysis: RolloutAnalysis | None = None


class CanaryStrategy(_Doc):
    """`spec.strategy.canary`."""

    steps: list[CanaryStep] | None = None
    analysis: RolloutAnalysis | None = None


class Strategy(_Doc):
    """`spec.strategy` (only the canary strategy runs locally)."""

    canary: CanaryStrategy | None = None


class TemplateMeta(_Doc):
    """`spec.template.metadata`: the model URI annotation names the model to serve."""

    annotations: dict[str, str] | None = None


class PodTemplate(_Doc):
    """`spec.template`."""

    metadata: TemplateMeta | None = None


class RolloutSpec(_Doc):
    """`spec` of a Rollout."""

    template: PodTemplate | None = None
    strategy: Strategy | None = None

    @property
    def canary(self) -> CanaryStrategy:
        """The canary strategy (empty when there is none)."""
        return (self.strategy.canary if self.strategy else None) or CanaryStrategy()

    @property
    def steps(self) -> list[CanaryStep]:
        """The canary steps."""
        return self.canary.steps or []

    def annotation(self, key: str) -> str:
        """An annotation of the pod template, or ""."""
        meta = self.template.metadata if self.template else None
        return ((meta.annotations if meta else None) or {}).get(key, "")


# -- Rollout status ------------------------------------------------------------------------------------
class RunRef(_Doc):
    """`status.canary.current{Step,Background}AnalysisRunStatus`: the AnalysisRun a canary waits on.

    Argo requires `status` too; only `name` is required here, since the controller reads nothing else.
    """

    name: str
    status: str | None = None
    message: str | None = None


class CanaryStatus(_Doc):
    """`status.canary`."""

    current_step_analysis_run_status: RunRef | None = None
    current_background_analysis_run_status: RunRef | None = None

    def runs(self) -> list[RunRef]:
        """The current step analysis, then the background one (those that exist)."""
        both = (self.current_step_analysis_run_status, self.current_background_analysis_run_status)
        return [ref for ref in both if ref is not None]


class PauseCondition(_Doc):
    """One entry of `status.pauseConditions`."""

    reason: str
    start_time: str | None = None


class Revision(_Doc):
    """One entry of `status.history`: a model URI the Rollout was pointed at, numbered from 1."""

    revision: int
    model_uri: str
    created_at: str | None = None


class RolloutStatus(_Doc):
    """`status` of a Rollout, as the local controller writes it."""

    phase: str | None = None
    message: str | None = None
    observed_generation: str | None = None
    current_step_index: int | None = None
    current_pod_hash: str | None = None
    stable_rs: str | None = Field(default=None, alias="stableRS")
    abort: bool | None = None
    abort_reason: str | None = None
    aborted_at: str | None = None
    promote_full: bool | None = None
    pause_conditions: list[PauseCondition] | None = None
    controller_pause: bool | None = None
    paused_at: float | None = None
    canary: CanaryStatus = Field(default_factory=CanaryStatus)
    stable_model: str | None = None
    canary_model: str | None = None
    weight: int | None = None
    attempt: int | None = None
    undo_to: str | None = None
    history: list[Revision] | None = None


class RolloutDoc(_Doc):
    """A stored Rollout."""

    api_version: str | None = None
    kind: str | None = None
    metadata: ObjectMeta
    spec: RolloutSpec = Field(default_factory=RolloutSpec)
    status: RolloutStatus = Field(default_factory=RolloutStatus)


# -- AnalysisRun ---------------------------------------------------------------------------------------
class Metric(_Doc):
    """One metric of an AnalysisRun's spec (limits may still be strings: Argo's int-or-string)."""

    name: str
    provider: dict[str, Any]
    interval: str | int | None = None
    initial_delay: str | int | None = None
    count: int | str | None = None
    failure_limit: int | str | None = None
    inconclusive_limit: int | str | None = None
    consecutive_error_limit: int | str | None = None


class AnalysisRunSpec(_Doc):
    """`spec` of an AnalysisRun."""

    metrics: list[Metric]
    args: list[AnalysisArg] | None = None
    terminate: bool | None = None


class Measurement(_Doc):
    """One measurement of a metric."""

    phase: str | None = None
    value: str | None = None
    message: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


class MetricResult(_Doc):
    """`status.metricResults[]`: a metric's counts and its last measurements (the runner sets `phase`)."""

    name: str
    phase: str | None = None
    measurements: list[Measurement] | None = None
    count: int | None = None
    successful: int | None = None
    failed: int | None = None
    inconclusive: int | None = None
    error: int | None = None
    consecutive_error: int | None = None
    message: str | None = None


class AnalysisRunStatus(_Doc):
    """`status` of an AnalysisRun."""

    phase: str | None = None
    message: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    metric_results: list[MetricResult] | None = None
    run_summary: dict[str, int] | None = None


class AnalysisRunDoc(_Doc):
    """A stored AnalysisRun."""

    api_version: str | None = None
    kind: str | None = None
    metadata: ObjectMeta
    spec: AnalysisRunSpec
    status: AnalysisRunStatus = Field(default_factory=AnalysisRunStatus)


_M = TypeVar("_M", bound=_Doc)


def _parse(model: type[_M], kind: str, doc: Doc) -> _M:
    try:
        return model.model_validate(doc)
    except ValidationError as e:
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        name = "/".join(str(meta[k]) for k in ("namespace", "name") if meta.get(k))
        first = e.errors()[0]
        path = field_path(*first["loc"])
        value = "" if first["type"] == "missing" else f" (got {first['input']!r})"
        more = f" and {e.error_count() - 1} more" if e.error_count() > 1 else ""
        raise ManifestError(
            f"{path}: {first['msg']}{value}{more}",
            where=f"{kind} {name or '?'}",
            fix=f"correct {path}, or delete the {kind} and apply it again (an apply keeps the stored status)",
        ) from e


def parse_rollout(doc: Doc) -> RolloutDoc:
    """A stored Rollout as a model.

    Raises:
        ManifestError: a field the controller reads has the wrong shape (the message names its path).
    """
    return _parse(RolloutDoc, "Rollout", doc)


def parse_analysis_run(doc: Doc) -> AnalysisRunDoc:
    """A stored AnalysisRun as a model.

    Raises:
        ManifestError: a field the runner reads has the wrong shape (the message names its path).
    """
    return _parse(AnalysisRunDoc, "AnalysisRun", doc)
