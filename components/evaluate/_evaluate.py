"""Scores a candidate model version against the `champion` alias on the same holdout and decides.

Called by `python -m components.evaluate` (the `evaluate` WorkflowTemplate step) and by tests.

- The holdout is the candidate's: its run's `dataset`, `seed` and `test_size` params (defaults when absent).
- `promote` when there is no champion, or the candidate is strictly better on the deciding metric by at
  least `min_improvement`; otherwise `reject` (also when the candidate already is the champion).
- On `promote` the candidate gets alias `challenger` (it is the version the canary will try); every
  decision is recorded as tags `evaluate.decision`, `evaluate.run-id` on the model version, and as an
  MLflow run (tag `sluicegate.step=evaluate`) with the metrics and a comparison report.
- A fault-injecting demo model (components/train/_fault.py) is scored through its wrapped estimator.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.exceptions import MlflowException
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from components._common import (
    UserError,
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
from components.evaluate._decide import CHALLENGER, CHAMPION, Decision, check_inputs, decide
from components.evaluate._report import Comparison, render_html, render_markdown

__all__ = ["EvaluationResult", "evaluate"]


@dataclass(frozen=True)
class EvaluationResult:
    """The decision and the scores behind it (also the step's Argo outputs)."""

    decision: Decision
    reason: str
    candidate_score: float
    champion_score: float | None
    champion_version: str | None
    run_id: str

    def outputs(self) -> dict[str, Any]:
        """Output parameters by name; `champion-score` is empty when there is no champion."""
        return {
            "decision": self.decision,
            "candidate-score": f"{self.candidate_score:.6f}",
            "champion-score": "" if self.champion_score is None else f"{self.champion_score:.6f}",
        }

    def summary(self) -> str:
        """The line the step prints: decision, reason, and both scores (`none` without a champion)."""
        champion = f"{self.champion_score:.4f}" if self.champion_score is not None else "none"
        return f"{self.decision}: {self.reason} (candidate {self.candidate_score:.4f}, champion {champion})"


def _scores(uri: str, workdir: Path, X: Any, y: Any) -> dict[str, float]:
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(workdir))
    flavors = Model.load(local).flavors
    if "sklearn" in flavors:
        estimator = mlflow.sklearn.load_model(local)
    else:
        model = mlflow.pyfunc.load_model(local)
        try:
            estimator = getattr(model.unwrap_python_model(), "estimator", None)
        except MlflowException:
            estimator = None
        if estimator is None:  # any other pyfunc: labels only, no roc_auc
            return classification_metrics(y, model.predict(X))
    proba = estimator.predict_proba(X) if hasattr(estimator, "predict_proba") else None
    return classification_metrics(y, estimator.predict(X), proba)


def _champion(client: MlflowClient, name: str) -> Any | None:
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as e:
        if e.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise


def _holdout(client: MlflowClient, version: Any, dataset: str) -> tuple[str, int, float]:
    params: dict[str, str] = client.get_run(version.run_id).data.params if version.run_id else {}
    try:
        return (
            dataset or params.get("dataset", "breast_cancer"),
            int(params.get("seed", 42)),
            float(params.get("test_size", 0.25)),
        )
    except ValueError as e:
        raise UserError(f"run {version.run_id} has a malformed seed or test_size param ({e})") from e


def _run_tags(model_name: str, candidate: Any, champion: Any | None, workflow: str) -> dict[str, str]:
    lineage = candidate.tags or {}
    return {
        "sluicegate.step": "evaluate",
        "sluicegate.model-name": model_name,
        "sluicegate.candidate-version": str(candidate.version),
        "sluicegate.champion-version": str(champion.version) if champion else "",
        "argo.workflow": workflow,
        "git.revision": lineage.get("git.revision", ""),
        "git.repo": lineage.get("git.repo", ""),
    }


def _log_comparison(c: Comparison, baseline: str = "champion") -> None:
    """Metrics `candidate.*` / `<baseline>.*`, tag `sluicegate.decision`, and the report, into the active run."""
    mlflow.log_metrics({f"candidate.{k}": v for k, v in c.candidate.items()})
    if c.champion is not None:
        mlflow.log_metrics({f"{baseline}.{k}": v for k, v in c.champion.items()})
    mlflow.set_tag("sluicegate.decision", c.decision)
    mlflow.log_text(render_markdown(c), "evaluation/report.md")
    mlflow.log_text(render_html(c), "evaluation/report.html")


def evaluate(
    *,
    model_name: str,
    candidate_version: str,
    tracking_uri: str,
    dataset: str = "",
    min_improvement: float = 0.0,
    metric: str = "f1",
    workflow: str = "",
    outputs_dir: Path | None = None,
) -> EvaluationResult:
    """Compare `model_name` v`candidate_version` with the champion and record the decision.

    Args:
        model_name: registered model name.
        candidate_version: the version to judge.
        tracking_uri: MLflow tracking server.
        dataset: holdout dataset (default: the one the candidate was trained on).
        min_improvement: how much better (absolute, on `metric`) the candidate must be; 0..1.
        metric: deciding metric: accuracy, f1 (macro) or roc_auc.
        workflow: Argo workflow name (tag `argo.workflow` on the evaluation run).
        outputs_dir: when given, the step outputs are written there.

    Raises:
        UserError: bad input, unknown model version, unreachable MLflow.
    """
    check_inputs(candidate_version, min_improvement, metric)
    client = connect(tracking_uri)
    with mlflow_errors(tracking_uri):
        candidate = client.get_model_version(model_name, candidate_version)
        champion = _champion(client, model_name)
        dataset, seed, test_size = _holdout(client, candidate, dataset)
        _, X_test, _, y_test = split(load_dataset(dataset), seed, test_size)
        same = champion is not None and str(champion.version) == str(candidate.version)
        use_experiment(model_name)
        tags = _run_tags(model_name, candidate, champion, workflow)
        with run_started(f"evaluate-v{candidate.version}", tags) as run:
            with tempfile.TemporaryDirectory(prefix="evaluate-") as tmp, native_threads():
                cand = _scores(f"models:/{model_name}/{candidate.version}", Path(tmp, "candidate"), X_test, y_test)
                champ = None
                if champion is not None and not same:
                    champ = _scores(f"models:/{model_name}/{champion.version}", Path(tmp, "champion"), X_test, y_test)
            if metric not in cand:
                raise UserError(f"--metric {metric} cannot be computed for this model", fix="use accuracy or f1")
            champ_score = champ.get(metric) if champ is not None else (cand[metric] if same else None)
            decision, reason = decide(cand[metric], champ_score, min_improvement, same_version=same)
            mlflow.log_params({"dataset": dataset, "seed": seed, "test_size": test_size, "metric": metric})
            mlflow.log_param("min_improvement", min_improvement)
            _log_comparison(
                Comparison(
                    model_name=model_name,
                    candidate_version=str(candidate.version),
                    champion_version=str(champion.version) if champion else None,
                    metric=metric,
                    candidate=cand,
                    champion=champ,
                    decision=decision,
                    reason=reason,
                    holdout=f"{dataset}, seed {seed}, test_size {test_size}, {len(y_test)} rows",
                )
            )
            result = EvaluationResult(
                decision=decision,
                reason=reason,
                candidate_score=cand[metric],
                champion_score=champ_score,
                champion_version=str(champion.version) if champion else None,
                run_id=run.info.run_id,
            )
            _record_decision(client, model_name, str(candidate.version), result, outputs_dir)
    return result


def _record_decision(
    client: MlflowClient, model_name: str, version: str, result: EvaluationResult, outputs_dir: Path | None
) -> None:
    """The step's outputs, tags `evaluate.decision` / `evaluate.run-id`, and `challenger` on a promote."""
    if outputs_dir is not None:
        write_outputs(outputs_dir, result.outputs())
    client.set_model_version_tag(model_name, version, "evaluate.decision", result.decision)
    client.set_model_version_tag(model_name, version, "evaluate.run-id", result.run_id)
    if result.decision == "promote":
        client.set_registered_model_alias(model_name, CHALLENGER, version)
