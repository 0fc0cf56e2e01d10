"""Trains one model, logs it to MLflow with its lineage, and registers it as a new model version.

Called by `python -m components.train` (the `train` WorkflowTemplate step) and by tests. The order is
what keeps the registry clean: everything is logged first, the version is registered last, and if
anything fails after that (writing the step outputs) the version is deleted again. Any failure leaves the
MLflow run FAILED (MLflow's `start_run` context marks it so when an exception leaves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.models import infer_signature

from components._common import (
    classification_metrics,
    connect,
    load_dataset,
    mlflow_errors,
    native_threads,
    run_started,
    split,
    use_experiment,
    write_outputs,
)
from components.train._estimators import build_estimator
from components.train._fault import FaultyModel
from components.train._params import TrainParams, validate_model_name

__all__ = ["TrainResult", "train"]


@dataclass(frozen=True)
class TrainResult:
    """What a training step produced (also its Argo outputs)."""

    run_id: str
    model_uri: str
    model_version: str
    metrics: dict[str, float]

    def outputs(self) -> dict[str, Any]:
        """The step's output parameters, by output name."""
        return {
            "run-id": self.run_id,
            "model-uri": self.model_uri,
            "model-version": self.model_version,
            "metrics": self.metrics,
        }


def _requirements() -> list[str]:
    # pinned explicitly: MLflow's own inference loads the model in a subprocess, which costs seconds per step
    names = ["mlflow", "scikit-learn", "cloudpickle", "pandas", "numpy"]
    return [f"{n}=={metadata.version(n)}" for n in names]


def _log_model(estimator: Any, params: TrainParams, X_train: Any) -> Any:
    example = X_train.head(2)
    signature = infer_signature(example, estimator.predict(example))
    if params.fault is None:
        return mlflow.sklearn.log_model(
            estimator,
            name="model",
            signature=signature,
            input_example=example,
            pip_requirements=_requirements(),
            serialization_format="cloudpickle",
        )
    fault = FaultyModel(estimator, params.fault.error_rate, params.fault.latency_ms, params.fault.after_seconds)
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=fault,
        signature=signature,
        input_example=example,
        pip_requirements=_requirements(),
    )


def train(
    params: TrainParams,
    *,
    model_name: str,
    tracking_uri: str,
    git_repo: str = "",
    git_revision: str = "",
    workflow: str = "",
    experiment: str | None = None,
    outputs_dir: Path | None = None,
) -> TrainResult:
    """Train, log and register one model version.

    Args:
        params: validated training parameters (see `components.train.load_params`).
        model_name: registered model name (also the Rollout name).
        tracking_uri: MLflow tracking server.
        git_repo: repository the code and params came from (tag `git.repo`).
        git_revision: commit SHA (tag `git.revision`).
        workflow: Argo workflow name (tag `argo.workflow`).
        experiment: MLflow experiment (default: the model name).
        outputs_dir: when given, the step outputs are written there before the version is kept.

    Raises:
        UserError: bad input or an unreachable/refusing MLflow; the run is FAILED and no version remains.
    """
    validate_model_name(model_name)
    client = connect(tracking_uri)
    data = load_dataset(params.dataset)
    X_train, X_test, y_train, y_test = split(data, params.seed, params.test_size)
    lineage = {"git.repo": git_repo, "git.revision": git_revision, "argo.workflow": workflow}
    tags = {**lineage, "sluicegate.model-name": model_name, "sluicegate.step": "train"}
    if git_revision:  # MLflow's own lineage tags, shown in its UI; left to MLflow's detection otherwise
        tags["mlflow.source.git.commit"] = git_revision
    if git_repo:
        tags["mlflow.source.git.repoURL"] = git_repo
    if params.fault is not None:
        tags["sluicegate.fault"] = params.fault.model_dump_json()
    with mlflow_errors(tracking_uri):
        use_experiment(experiment or model_name)
        with run_started(f"train-{git_revision[:8] or 'local'}", tags) as run:
            mlflow.log_params(params.flat())
            estimator = build_estimator(params.model, params.seed)
            with native_threads():
                estimator.fit(X_train, y_train)
                proba = estimator.predict_proba(X_test) if hasattr(estimator, "predict_proba") else None
                metrics = classification_metrics(y_test, estimator.predict(X_test), proba)
            mlflow.log_metrics(metrics)
            info = _log_model(estimator, params, X_train)
            version_tags = {**lineage, "dataset": params.dataset, "run_id": run.info.run_id}
            if params.fault is not None:
                version_tags["sluicegate.fault"] = params.fault.model_dump_json()
            version = mlflow.register_model(info.model_uri, model_name, tags=version_tags)
            try:
                result = TrainResult(
                    run_id=run.info.run_id,
                    model_uri=f"models:/{model_name}/{version.version}",
                    model_version=str(version.version),
                    metrics=metrics,
                )
                mlflow.set_tag("sluicegate.model-version", result.model_version)
                if outputs_dir is not None:
                    write_outputs(outputs_dir, result.outputs())
            except BaseException:
                _unregister(client, model_name, str(version.version))
                raise
    return result


def _unregister(client: Any, name: str, version: str) -> None:
    """Delete the version just registered, and the registered model too when that left it empty."""
    client.delete_model_version(name, version)
    if not client.search_model_versions(f"name='{name}'"):
        client.delete_registered_model(name)
