"""Pydantic models of the Sensor and EventSource fields the local event runtime reads.

Called by the runtime modules when they load Sensors and EventSources from the store. Hera's generated
Argo Events models type `K8SResource`, `Int64OrString` and `Amount` as wrapper objects while the CRD
takes a plain object/number/string, so stored documents do not load into them; these models read the
Kubernetes shape directly and ignore fields the runtime does not use.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sluicegate.lang import parse_duration

__all__ = [
    "Backoff",
    "DataFilter",
    "EventContextFilter",
    "EventDependency",
    "ExprField",
    "ExprFilter",
    "Filters",
    "SensorSpec",
    "Trigger",
    "TriggerParameter",
    "TriggerParameterSource",
]


class _M(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class DataFilter(_M):
    """`filters.data[]`: a gjson path compared with values (regexes for strings)."""

    path: str
    type: str = "string"
    value: list[str] = []
    comparator: str = ""
    template: str = ""


class ExprField(_M):
    """A named gjson path feeding an expression."""

    name: str
    path: str


class ExprFilter(_M):
    """`filters.exprs[]`: a govaluate expression over named fields."""

    expr: str
    fields: list[ExprField] = []


class EventContextFilter(_M):
    """`filters.context`: CloudEvent context attributes that must match exactly."""

    type: str = ""
    subject: str = ""
    source: str = ""
    datacontenttype: str = ""


class TimeFilter(_M):
    """`filters.time`: a daily window `[start, stop)` (`hh:mm:ss`) in `timezone` (default UTC)."""

    start: str
    stop: str
    timezone: str = ""


class Filters(_M):
    """`dependencies[].filters`."""

    time: TimeFilter | None = None
    script: str = ""
    data: list[DataFilter] | None = None
    exprs: list[ExprFilter] | None = None
    context: EventContextFilter | None = None
    data_logical_operator: str = Field("and", alias="dataLogicalOperator")
    expr_logical_operator: str = Field("and", alias="exprLogicalOperator")


class EventDependency(_M):
    """`dependencies[]`: which EventSource event a Sensor waits for, and its filters."""

    name: str
    event_source_name: str = Field(alias="eventSourceName")
    event_name: str = Field(alias="eventName")
    filters: Filters | None = None
    filters_logical_operator: str = Field("and", alias="filtersLogicalOperator")
    transform: dict[str, Any] | None = None


class TriggerParameterSource(_M):
    """`parameters[].src`."""

    dependency_name: str = Field(alias="dependencyName")
    data_key: str = Field("", alias="dataKey")
    data_template: str = Field("", alias="dataTemplate")
    context_key: str = Field("", alias="contextKey")
    context_template: str = Field("", alias="contextTemplate")
    value: str | None = None
    use_raw_data: bool = Field(False, alias="useRawData")


class TriggerParameter(_M):
    """`parameters[]`: a value from an event written at `dest`."""

    src: TriggerParameterSource
    dest: str
    operation: str = "overwrite"


class Backoff(_M):
    """`retryStrategy`: attempts and delays."""

    steps: int = 1
    duration: int | str | None = None
    factor: float | None = None
    jitter: float | None = None

    def delays(self) -> list[float]:
        """Seconds to wait before each retry (len = steps - 1, at least 0 retries)."""
        base = parse_duration(self.duration, bare="ns") if self.duration is not None else 1.0
        factor = self.factor or 1.0
        out, d = [], base
        for _ in range(max(self.steps, 1) - 1):
            out.append(d)
            d *= factor
        return out


class RateLimit(_M):
    """`triggers[].rateLimit`: at most `requestsPerUnit` runs per `unit` (Second, Minute, Hour)."""

    unit: str = "Second"
    requests_per_unit: int = Field(0, alias="requestsPerUnit")


class Trigger(_M):
    """`triggers[]`: the template (kept as a dict: one key per trigger type) and its delivery policy."""

    template: dict[str, Any]
    parameters: list[TriggerParameter] = []
    retry_strategy: Backoff | None = Field(None, alias="retryStrategy")
    at_least_once: bool = Field(False, alias="atLeastOnce")
    dlq_trigger: Trigger | None = Field(None, alias="dlqTrigger")
    policy: dict[str, Any] | None = None
    rate_limit: RateLimit | None = Field(None, alias="rateLimit")

    @property
    def name(self) -> str:
        """The trigger's name."""
        return str(self.template.get("name", ""))

    @property
    def conditions(self) -> str:
        """The boolean expression over dependency names (empty: all dependencies)."""
        return str(self.template.get("conditions") or "")


class SensorSpec(_M):
    """`Sensor.spec`: dependencies and triggers."""

    dependencies: list[EventDependency]
    triggers: list[Trigger]
