"""The MLflow REST payloads the light steps read: experiments, runs, logged models, model versions.

Called by `components._common._rest`, which parses every answer into these models. They keep the fields
MLflow's REST API 2.0 returns that a step uses and ignore the rest; MLflow leaves out empty fields, so
every field has a default.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Experiment",
    "LoggedModel",
    "LoggedModelInfo",
    "Metric",
    "ModelVersion",
    "Run",
    "RunData",
    "RunInfo",
    "Tag",
]


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Tag(_Payload):
    """A `{key, value}` pair: a run tag or param, a logged model tag, a model version tag."""

    key: str
    value: str = ""


class Metric(_Payload):
    """A run's latest value of one metric."""

    key: str
    value: float = 0.0
    timestamp: int = 0
    step: int = 0


class Experiment(_Payload):
    """`experiments/get-by-name`'s `experiment`."""

    experiment_id: str
    name: str = ""
    lifecycle_stage: str = "active"


class RunInfo(_Payload):
    """A run's `info`."""

    run_id: str
    experiment_id: str = ""
    run_name: str = ""
    status: str = ""


class RunData(_Payload):
    """A run's `data`: metrics, params and tags as MLflow lists them."""

    metrics: list[Metric] = []
    params: list[Tag] = []
    tags: list[Tag] = []

    @property
    def metrics_by_key(self) -> dict[str, float]:
        """Each metric's latest value by key (as `mlflow.entities.RunData.metrics`)."""
        return {m.key: m.value for m in self.metrics}

    @property
    def tags_by_key(self) -> dict[str, str]:
        """Tag values by key."""
        return {t.key: t.value for t in self.tags}


class Run(_Payload):
    """`runs/get`'s and `runs/create`'s `run`."""

    info: RunInfo
    data: RunData = RunData()


class LoggedModelInfo(_Payload):
    """A logged model's `info` (MLflow 3's `LoggedModel`)."""

    model_id: str
    name: str = ""
    experiment_id: str = ""
    source_run_id: str = ""
    creation_timestamp_ms: int = 0
    tags: list[Tag] = []


class LoggedModel(_Payload):
    """`logged-models/{id}`'s `model` and each of `logged-models/search`'s `models`."""

    info: LoggedModelInfo

    @property
    def model_id(self) -> str:
        """The model's id (`m-...`): `models:/<id>` names it."""
        return self.info.model_id

    @property
    def name(self) -> str:
        """The name the run logged it under (`log_model(name=...)`)."""
        return self.info.name


class ModelVersion(_Payload):
    """A registered model version (`model-versions/get`, `model-versions/create`)."""

    name: str
    version: str
    status: str = "READY"
    run_id: str = ""
    source: str = ""
    tags: list[Tag] = []
