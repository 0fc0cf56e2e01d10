"""`sluicegate.yaml`: the one file Sluicegate adds to a model repository (an MLflow Project).

Called by the pipeline's steps (train, evaluate, stress-test, deploy read their part of it), by
`sluice lint` and `sluice init`, and by `docs/sluicegate.schema.json` (generated from `ProjectConfig`).
Only `name` is required::

    name: house-prices                 # registered model = Rollout = Service name (DNS-1035 label, <= 56)
    train:
      entry_point: main                # an MLproject entry point (or a .py/.sh file, as `mlflow run`)
      parameters: {alpha: 0.3}         # overrides of the entry point's defaults (`mlflow run -P`)
      logged_model: model              # which model the run logged to register; empty: the only one
    evaluation:
      data: data/eval.csv              # CSV/Parquet in the repository, or an MLflow URI
      target: price
      model_type: regressor            # classifier | regressor
    promotion:                         # MLflow's MetricThreshold on `metric`
      metric: root_mean_squared_error
      min_relative_change: 0.01
    stress_test: {target_rps: 20, duration_seconds: 30, p99_latency_ms: 250, max_error_rate: 0.01}
    canary: {min_success_rate: 0.99, max_p99_latency_ms: 250, pause: 30s, interval: 30s, count: 3, window: 1m}
    environment: {strict_python: false}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from components._common import UserError
from components.project._yamlfile import describe_validation_error, read_mapping

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_METRICS",
    "METRIC_DIRECTIONS",
    "CanaryConfig",
    "EnvironmentConfig",
    "EvaluationConfig",
    "ProjectConfig",
    "PromotionConfig",
    "StressTestConfig",
    "TrainConfig",
    "load_config",
]

CONFIG_FILE = "sluicegate.yaml"
_FIX = "see docs/model-projects.md (schema: docs/sluicegate.schema.json)"

# A Service name is a DNS-1035 label (starts with a letter); `<name>-canary` must stay within 63 characters.
_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,54}[a-z0-9])?$")
_DURATION = re.compile(r"^[0-9]+(ms|s|m|h)$")
_PARAMETER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

#: The promotion metric by model type when `promotion.metric` is not set (names of `mlflow.evaluate`).
DEFAULT_METRICS: dict[str, str] = {"classifier": "accuracy_score", "regressor": "root_mean_squared_error"}
#: `greater_is_better` of the metrics `mlflow.evaluate` computes by default.
METRIC_DIRECTIONS: dict[str, bool] = {
    "accuracy_score": True,
    "f1_score": True,
    "precision_score": True,
    "recall_score": True,
    "roc_auc": True,
    "precision_recall_auc": True,
    "log_loss": False,
    "r2_score": True,
    "mean_absolute_error": False,
    "mean_squared_error": False,
    "root_mean_squared_error": False,
    "mean_absolute_percentage_error": False,
    "max_error": False,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainConfig(_Strict):
    """Which entry point trains the model, with which parameters, and which logged model is registered."""

    entry_point: str = Field("main", min_length=1, description="MLproject entry point, or a .py/.sh file")
    parameters: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="entry-point parameter overrides, as `mlflow run -P NAME=VALUE`"
    )
    logged_model: str = Field(
        "",
        description="name (artifact path) of the logged model to register; empty: the only model the run logged",
    )

    @field_validator("parameters")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not _PARAMETER.match(name):
                raise ValueError(f"parameter name {name!r} is not an identifier")
        return value


class EvaluationConfig(_Strict):
    """The data candidate and champion are scored on with `mlflow.evaluate`."""

    data: str = Field(
        "data/eval.csv",
        min_length=1,
        description="a .csv/.parquet path in the repository, or an MLflow URI (runs:/, models:/, mlflow-artifacts:/)",
    )
    target: str = Field("target", min_length=1, description="the label column of `data`")
    model_type: Literal["classifier", "regressor"] = "classifier"

    @field_validator("data")
    @classmethod
    def _data(cls, value: str) -> str:
        if "://" in value or value.startswith(("runs:/", "models:/", "mlflow-artifacts:/")):
            return value
        path = Path(value)
        if path.is_absolute() or ".." in path.parts:
            raise ValueError("a repository path must be relative and stay inside the repository")
        if path.suffix.lower() not in (".csv", ".parquet"):
            raise ValueError("a repository path must end in .csv or .parquet")
        return value


class PromotionConfig(_Strict):
    """The promotion gate: MLflow's `MetricThreshold` on one metric, candidate against champion."""

    metric: str = Field("", description="default: accuracy_score (classifier) or root_mean_squared_error (regressor)")
    threshold: float | None = Field(None, description="the candidate's metric must reach this value")
    min_absolute_change: float | None = Field(None, gt=0, description="better than the champion by at least this")
    min_relative_change: float | None = Field(
        None, ge=0, le=1, description="better than the champion by at least this share (0.01 = 1%)"
    )
    greater_is_better: bool | None = Field(None, description="default: the direction of a metric MLflow knows")


class StressTestConfig(_Strict):
    """The load the candidate must take before it gets production traffic."""

    target_rps: float = Field(20, gt=0, le=10_000)
    duration_seconds: float = Field(30, gt=0, le=3600)
    p99_latency_ms: float = Field(250, gt=0, le=60_000)
    max_error_rate: float = Field(0.01, ge=0, le=1)


class CanaryConfig(_Strict):
    """The canary analysis of the model's Rollout."""

    min_success_rate: float = Field(0.99, ge=0, le=1)
    max_p99_latency_ms: float = Field(250, gt=0, le=60_000)
    pause: str = Field("30s", description="hold at 50% before the last analysis (Argo duration)")
    interval: str = Field("30s", description="between analysis measurements")
    count: int = Field(3, ge=1, le=100, description="measurements per analysis step")
    window: str = Field("1m", description="Prometheus rate window")

    @field_validator("pause", "interval", "window")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError("must be a duration such as 30s, 2m or 1h")
        return value


class EnvironmentConfig(_Strict):
    """How the project's Python environment is made."""

    strict_python: bool = Field(
        False, description="fail when the Python version the project asks for is not installed (default: warn)"
    )


class ProjectConfig(_Strict):
    """The content of `sluicegate.yaml`."""

    name: str = Field(description="registered model name = Rollout and Service name (DNS-1035 label, 1-56)")
    train: TrainConfig = Field(default_factory=TrainConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    promotion: PromotionConfig = Field(default_factory=PromotionConfig)
    stress_test: StressTestConfig = Field(default_factory=StressTestConfig)
    canary: CanaryConfig = Field(default_factory=CanaryConfig)
    environment: EnvironmentConfig = Field(default_factory=EnvironmentConfig)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                "must be lowercase letters, digits and '-', start with a letter, end with a letter or digit, "
                "1-56 characters"
            )
        return value

    @model_validator(mode="after")
    def _promotion(self) -> ProjectConfig:
        p = self.promotion
        metric = p.metric or DEFAULT_METRICS[self.evaluation.model_type]
        if p.greater_is_better is None and metric not in METRIC_DIRECTIONS:
            raise ValueError(f"promotion.greater_is_better is required for metric {metric!r}")
        return self

    def metric_threshold(self) -> tuple[str, dict[str, Any]]:
        """The promotion metric and the keyword arguments of `mlflow.models.MetricThreshold` for it.

        With none of `threshold`, `min_absolute_change`, `min_relative_change` set, the candidate must be
        0.5% better than the champion (`min_relative_change=0.005`); a first model has no champion and passes.
        """
        p = self.promotion
        metric = p.metric or DEFAULT_METRICS[self.evaluation.model_type]
        greater = p.greater_is_better if p.greater_is_better is not None else METRIC_DIRECTIONS[metric]
        kwargs: dict[str, Any] = {"greater_is_better": greater}
        if p.threshold is not None:
            kwargs["threshold"] = p.threshold
        if p.min_absolute_change is not None:
            kwargs["min_absolute_change"] = p.min_absolute_change
        if p.min_relative_change is not None:
            kwargs["min_relative_change"] = float(p.min_relative_change)
        if len(kwargs) == 1:
            kwargs["min_relative_change"] = 0.005
        return metric, kwargs


def load_config(root: Path) -> ProjectConfig:
    """Read and validate `sluicegate.yaml` at the root of the checked-out project `root`.

    Raises:
        UserError: one line naming `sluicegate.yaml`, the key, what was wrong and the fix.
    """
    data = read_mapping(root / CONFIG_FILE, CONFIG_FILE, fix=f"add {CONFIG_FILE} with at least `name: <model-name>`")
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        if first["type"] == "value_error" and not first["loc"]:
            # model-level checks name their own key
            raise UserError(f"{CONFIG_FILE}: {str(first['msg']).removeprefix('Value error, ')}", fix=_FIX) from e
        raise describe_validation_error(e, CONFIG_FILE, _FIX) from e
