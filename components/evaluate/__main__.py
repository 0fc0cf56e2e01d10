"""`python -m components.evaluate`: the CLI the `evaluate` step runs.

Writes the outputs `decision` (`promote` or `reject`), `candidate-score` and `champion-score` (empty when
there is no champion) to `--outputs-dir`. With `--project DIR` (a checked-out model project), the project's
`sluicegate.yaml` decides: its evaluation data, scored with MLflow's evaluation API and gated with its
`MetricThreshold` (`components.evaluate._gate`); otherwise the built-in trainer's holdout and `--metric`.
Exit code 0 for both decisions: rejecting is a result, not a failure; the pipeline branches on `decision`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components._common import DEFAULT_OUTPUTS_DIR, METRICS, OneLineParser, check_reachable, run_cli
from components.evaluate._decide import check_inputs

PROG = "components.evaluate"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, evaluate, print the decision; returns the exit code."""
    parser = OneLineParser(prog=PROG, description="Compare a candidate model version with the champion.")
    parser.add_argument("--model-name", default="", help="registered model name (default: the project's name)")
    parser.add_argument("--candidate-version", required=True, help="the model version to judge")
    parser.add_argument("--tracking-uri", required=True, help="MLflow tracking server URL")
    parser.add_argument("--dataset", default="", help="holdout dataset (default: the candidate's training dataset)")
    parser.add_argument("--min-improvement", type=float, default=0.0, help="required gain on --metric, 0..1")
    parser.add_argument("--metric", default="f1", help=f"deciding metric: {', '.join(METRICS)} (default f1, macro)")
    parser.add_argument("--workflow", default="", help="tag argo.workflow on the evaluation run")
    parser.add_argument("--project", type=Path, default=None, help="a model project: gate with its sluicegate.yaml")
    parser.add_argument("--outputs-dir", type=Path, default=DEFAULT_OUTPUTS_DIR, help="where Argo reads outputs")
    args = parser.parse_args(argv)
    if args.project is not None:
        from components.project import load_config

        load_config(args.project)  # a bad sluicegate.yaml answers before MLflow loads
        check_reachable(args.tracking_uri)
        from components.evaluate._gate import gate

        result = gate(
            project=args.project,
            candidate_version=args.candidate_version,
            tracking_uri=args.tracking_uri,
            model_name=args.model_name,
            workflow=args.workflow,
            outputs_dir=args.outputs_dir,
        )
        _print(result)
        return 0
    if not args.model_name:
        parser.error("--model-name is required without --project")
    check_inputs(args.candidate_version, args.min_improvement, args.metric)
    check_reachable(args.tracking_uri)
    from components.evaluate._evaluate import evaluate  # mlflow and scikit-learn load only for valid input

    result = evaluate(
        model_name=args.model_name,
        candidate_version=args.candidate_version,
        tracking_uri=args.tracking_uri,
        dataset=args.dataset,
        min_improvement=args.min_improvement,
        metric=args.metric,
        workflow=args.workflow,
        outputs_dir=args.outputs_dir,
    )
    _print(result)
    return 0


def _print(result: Any) -> None:
    champion = f"{result.champion_score:.4f}" if result.champion_score is not None else "none"
    print(f"{result.decision}: {result.reason} (candidate {result.candidate_score:.4f}, champion {champion})")


if __name__ == "__main__":
    run_cli(PROG, main)
