"""The promotion gate of a model project: candidate and champion scored with MLflow's evaluation API.

Called by `python -m components.evaluate --project DIR` (the `evaluate` step of a model project) and by
tests. Reads `sluicegate.yaml` (`evaluation`: data, target, model type; `promotion`: the metric and MLflow's
`MetricThreshold` fields), scores the candidate version and the `champion` with `mlflow.models.evaluate`
(any model that loads as a pyfunc; default metrics and plots of the model type) in child runs of one
evaluation run, and decides with `mlflow.validate_evaluation_results`.

- With a champion: the candidate must pass the configured thresholds against it. When neither
  `min_absolute_change` nor `min_relative_change` is set, it must be strictly better.
- Without one (a first version): the configured `threshold`, and strictly better than a constant model
  (the mean for a regressor, the most frequent class for a classifier), so a model that always predicts
  one value is never promoted.
- Outputs, tags and the `challenger` alias as `components.evaluate._evaluate` (the same workflow contract).
  Bad input (no data file, no target column, a model that does not load) is a `UserError` naming the file,
  the key and the fix, raised before anything is tagged or aliased.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import MetricThreshold

from components._common import UserError, connect, mlflow_errors, use_experiment, write_outputs
from components.evaluate._decide import CHALLENGER
from components.evaluate._evaluate import EvaluationResult, _champion, _run_tags
from components.evaluate._report import Comparison, render_html, render_markdown
from components.project import CONFIG_FILE, DEFAULT_METRICS, METRIC_DIRECTIONS, ProjectConfig, load_config

__all__ = ["gate", "read_evaluation_data", "thresholds"]

_TINY = 1e-12  # "strictly better": MLflow's min_absolute_change must be positive


def read_evaluation_data(root: Path, config: ProjectConfig) -> pd.DataFrame:
    """The evaluation DataFrame the project names (a repository path, or an MLflow URI), with its target.

    Raises:
        UserError: the file is missing or unreadable, or it has no target column.
    """
    ev = config.evaluation
    key = f"{CONFIG_FILE}: evaluation.data"
    if "://" in ev.data or ev.data.startswith(("runs:/", "models:/", "mlflow-artifacts:/")):
        try:
            path = Path(mlflow.artifacts.download_artifacts(artifact_uri=ev.data))
        except Exception as e:
            raise UserError(f"{key}: cannot download {ev.data} ({e})", fix="name an existing MLflow artifact") from e
        shown = ev.data
    else:
        path, shown = root / ev.data, ev.data
        if not path.is_file():
            raise UserError(f"{key}: {ev.data} does not exist in the repository", fix="commit the file or fix the path")
    try:
        data = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except Exception as e:
        raise UserError(f"{shown}: cannot read it as {path.suffix or 'CSV'} ({e})", fix="write it with pandas") from e
    if ev.target not in data.columns:
        columns = ", ".join(map(str, list(data.columns)[:12]))
        raise UserError(
            f"{shown}: no column {ev.target!r} ({CONFIG_FILE}: evaluation.target); its columns: {columns}",
            fix="set evaluation.target to the label column, or add it to the data",
        )
    if data.empty:
        raise UserError(f"{shown}: has no rows", fix="commit evaluation data with at least one row")
    return data


def thresholds(config: ProjectConfig, against_champion: bool) -> tuple[str, MetricThreshold]:
    """The deciding metric and its `MetricThreshold`, against the champion or the constant model."""
    p = config.promotion
    metric = p.metric or DEFAULT_METRICS[config.evaluation.model_type]
    greater = p.greater_is_better if p.greater_is_better is not None else METRIC_DIRECTIONS[metric]
    absolute = p.min_absolute_change
    if absolute is None and (p.min_relative_change is None or not against_champion):
        absolute = _TINY
    relative = p.min_relative_change if against_champion else None
    return metric, MetricThreshold(
        threshold=p.threshold, min_absolute_change=absolute, min_relative_change=relative, greater_is_better=greater
    )


def _constant_model(data: pd.DataFrame, target: str, model_type: str) -> Any:
    y = data[target]
    value = y.mode().iloc[0] if model_type == "classifier" else float(y.mean())
    return lambda frame: pd.Series([value] * len(frame))


def _score(model: Any, label: str, data: pd.DataFrame, config: ProjectConfig) -> Any:
    ev = config.evaluation
    with mlflow.start_run(run_name=label, nested=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return mlflow.models.evaluate(
                model=model, data=data, targets=ev.target, model_type=ev.model_type, evaluators=["default"]
            )
        except Exception as e:
            where = model if isinstance(model, str) else label
            raise UserError(
                f"{where}: cannot be scored on {ev.data} ({type(e).__name__}: {str(e).splitlines()[0][:300]})",
                fix="log the model with an MLflow flavor that loads as pyfunc, taking the data's feature columns",
            ) from e


def gate(
    *,
    project: Path,
    candidate_version: str,
    tracking_uri: str,
    model_name: str = "",
    workflow: str = "",
    outputs_dir: Path | None = None,
) -> EvaluationResult:
    """Score `candidate_version` and the champion on the project's evaluation data and decide.

    Raises:
        UserError: bad project config or data, an unloadable model, unknown version, unreachable MLflow.
    """
    config = load_config(project)
    name = model_name or config.name
    data = read_evaluation_data(project, config)
    client = connect(tracking_uri)
    with mlflow_errors(tracking_uri):
        candidate = client.get_model_version(name, candidate_version)
        champion = _champion(client, name)
        same = champion is not None and str(champion.version) == str(candidate.version)
        metric, threshold = thresholds(config, against_champion=champion is not None)
        use_experiment(name)
        with mlflow.start_run(
            run_name=f"evaluate-v{candidate.version}", tags=_run_tags(name, candidate, champion, workflow)
        ) as run:
            cand = _score(f"models:/{name}/{candidate.version}", f"candidate-v{candidate.version}", data, config)
            if champion is not None and not same:
                base = _score(f"models:/{name}/{champion.version}", f"champion-v{champion.version}", data, config)
            else:
                base = _score(
                    _constant_model(data, config.evaluation.target, config.evaluation.model_type),
                    "constant",
                    data,
                    config,
                )
            if metric not in cand.metrics:
                raise UserError(
                    f"{CONFIG_FILE}: promotion.metric: {metric!r} is not computed by mlflow.evaluate for a "
                    f"{config.evaluation.model_type}",
                    fix=f"use one of {', '.join(sorted(k for k in cand.metrics if '/' not in k)[:12])}",
                )
            decision, reason = "promote", f"{metric} passes {threshold}"
            if same:
                decision, reason = "reject", f"version {candidate.version} already is the champion"
            else:
                try:
                    mlflow.validate_evaluation_results({metric: threshold}, cand, base)
                except MlflowException as e:  # ModelValidationFailedException names each failed check
                    decision, reason = "reject", str(e.message).strip().splitlines()[-1][:500]
            champ_score = base.metrics.get(metric) if champion is not None and not same else None
            comparison = Comparison(
                model_name=name,
                candidate_version=str(candidate.version),
                champion_version=str(champion.version) if champion else None,
                metric=metric,
                candidate={k: float(v) for k, v in cand.metrics.items() if isinstance(v, int | float)},
                champion={k: float(v) for k, v in base.metrics.items() if isinstance(v, int | float)},
                decision=decision,
                reason=reason,
                holdout=f"{config.evaluation.data}, target {config.evaluation.target}, {len(data)} rows",
            )
            mlflow.log_metrics({f"candidate.{k}": v for k, v in comparison.candidate.items()})
            mlflow.log_metrics({f"baseline.{k}": v for k, v in (comparison.champion or {}).items()})
            mlflow.set_tag("sluicegate.decision", decision)
            mlflow.log_text(render_markdown(comparison), "evaluation/report.md")
            mlflow.log_text(render_html(comparison), "evaluation/report.html")
            result = EvaluationResult(
                decision=decision,  # type: ignore[arg-type]
                reason=reason,
                candidate_score=float(cand.metrics[metric]),
                champion_score=None if champ_score is None else float(champ_score),
                champion_version=str(champion.version) if champion else None,
                run_id=run.info.run_id,
            )
        if outputs_dir is not None:
            write_outputs(outputs_dir, result.outputs())
        client.set_model_version_tag(name, candidate.version, "evaluate.decision", decision)
        client.set_model_version_tag(name, candidate.version, "evaluate.run-id", result.run_id)
        if decision == "promote":
            client.set_registered_model_alias(name, CHALLENGER, candidate.version)
    return result
