"""The `decide` step of a model project's evaluation: MetricThreshold on the scores, the report, the alias.

Called by `python -m components.evaluate decide` (last task of the `evaluate-project` template) and by
tests. Reads the metrics the `score` step computed with `mlflow.models.evaluate` in the project's
environment (`<scores>/candidate`, `<scores>/baseline`: the champion, or the constant model for a first
version), and decides with `mlflow.validate_evaluation_results` on sluicegate.yaml's `promotion` block:

- With a champion: the candidate must pass the configured thresholds against it. When neither
  `min_absolute_change` nor `min_relative_change` is set, it must be strictly better.
- Without one (a first version): the configured `threshold`, and strictly better than the constant model
  (the mean for a regressor, the most frequent class for a classifier), so a model that always predicts
  one value is never promoted.
- The evaluation run (tag `sluicegate.step=evaluate`) gets both models' metrics, MLflow's plots of each
  (`evaluation/candidate/`, `evaluation/baseline/`) and the side-by-side report (`evaluation/report.html`,
  linked from the outcome message). Outputs, tags and the `challenger` alias as
  `components.evaluate._evaluate` (the same workflow contract).
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.models import EvaluationResult as MlflowEvaluation
from mlflow.models import MetricThreshold

from components._common import UserError, connect, mlflow_errors, run_started, use_experiment
from components.evaluate._evaluate import EvaluationResult, _champion, _log_comparison, _record_decision, _run_tags
from components.evaluate._report import Comparison
from components.project import CONFIG_FILE, DEFAULT_METRICS, METRIC_DIRECTIONS, ProjectConfig, load_config

__all__ = ["gate", "thresholds"]

_TINY = 1e-12  # "strictly better": MLflow's min_absolute_change must be positive


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


def _metrics(scores: Path, role: str) -> dict[str, float]:
    path = scores / role / "metrics.json"
    if not path.is_file():
        raise UserError(f"{path}: missing; the score step wrote no metrics for the {role}", fix="run the score step")
    return {str(k): float(v) for k, v in json.loads(path.read_text()).items()}


def _log_report(comparison: Comparison, scores: Path) -> None:
    _log_comparison(comparison, baseline="baseline")
    for role in ("candidate", "baseline"):
        plots = scores / role / "artifacts"
        if plots.is_dir():
            mlflow.log_artifacts(str(plots), f"evaluation/{role}")


def _verdict(
    metric: str, threshold: MetricThreshold, cand: dict[str, float], base: dict[str, float]
) -> tuple[str, str]:
    try:
        candidate = MlflowEvaluation(cand, {})
        baseline = MlflowEvaluation(base, {})
        mlflow.validate_evaluation_results({metric: threshold}, candidate, baseline)
    except MlflowException as e:  # ModelValidationFailedException names each failed check
        return "reject", str(e.message).strip().splitlines()[-1][:500]
    return "promote", f"{metric} passes {threshold}"


def gate(
    *,
    project: Path,
    scores: Path,
    candidate_version: str,
    tracking_uri: str,
    model_name: str = "",
    workflow: str = "",
    outputs_dir: Path | None = None,
) -> EvaluationResult:
    """Decide on `candidate_version` from the scores in `scores`; see the module docstring.

    Raises:
        UserError: bad project config, missing scores, an unknown version or metric, unreachable MLflow.
    """
    config = load_config(project)
    name = model_name or config.name
    cand, base = _metrics(scores, "candidate"), _metrics(scores, "baseline")
    client = connect(tracking_uri)
    with mlflow_errors(tracking_uri):
        candidate = client.get_model_version(name, candidate_version)
        champion = _champion(client, name)
        same = champion is not None and str(champion.version) == str(candidate.version)
        metric, threshold = thresholds(config, against_champion=champion is not None and not same)
        if metric not in cand:
            raise UserError(
                f"{CONFIG_FILE}: promotion.metric: {metric!r} is not computed by mlflow.evaluate for a "
                f"{config.evaluation.model_type}",
                fix=f"use one of {', '.join(sorted(k for k in cand if '/' not in k)[:12])}",
            )
        if same:
            decision, reason = "reject", f"version {candidate.version} already is the champion"
        else:
            decision, reason = _verdict(metric, threshold, cand, base)
        against = champion is not None and not same
        comparison = Comparison(
            model_name=name,
            candidate_version=str(candidate.version),
            champion_version=str(champion.version) if champion else None,
            metric=metric,
            candidate=cand,
            champion=base,
            decision=decision,
            reason=reason if against else f"{reason} (no champion: compared with the constant model)",
            holdout=f"{config.evaluation.data}, target {config.evaluation.target}",
        )
        use_experiment(name)
        with run_started(f"evaluate-v{candidate.version}", _run_tags(name, candidate, champion, workflow)) as run:
            _log_report(comparison, scores)
        result = EvaluationResult(
            decision=decision,  # type: ignore[arg-type]
            reason=reason,
            candidate_score=cand[metric],
            champion_score=base.get(metric) if against else None,
            champion_version=str(champion.version) if champion else None,
            run_id=run.info.run_id,
        )
        _record_decision(client, name, str(candidate.version), result, outputs_dir)
    return result
