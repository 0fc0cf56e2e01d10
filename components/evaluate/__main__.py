"""`python -m components.evaluate`: the CLI the `evaluate` step runs.

Writes the outputs `decision` (`promote` or `reject`), `candidate-score` and `champion-score` (empty when
there is no champion) to `--outputs-dir`, judged on the built-in trainer's holdout and `--metric`. A model
project is evaluated by `prepare` and `decide` (components.evaluate._project_cli) around a `score` task
that runs in the project's own environment.
Exit code 0 for both decisions: rejecting is a result, not a failure; the pipeline branches on `decision`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from components._common import DEFAULT_OUTPUTS_DIR, METRICS, OneLineParser, check_reachable, run_cli
from components.evaluate._decide import check_inputs
from components.evaluate._project_cli import PROJECT_COMMANDS, project_main

PROG = "components.evaluate"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, evaluate, print the decision; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in PROJECT_COMMANDS:
        return project_main(argv)
    parser = OneLineParser(prog=PROG, description="Compare a candidate model version with the champion.")
    parser.add_argument("--model-name", default="", help="registered model name (default: the project's name)")
    parser.add_argument("--candidate-version", required=True, help="the model version to judge")
    parser.add_argument("--tracking-uri", required=True, help="MLflow tracking server URL")
    parser.add_argument("--dataset", default="", help="holdout dataset (default: the candidate's training dataset)")
    parser.add_argument("--min-improvement", type=float, default=0.0, help="required gain on --metric, 0..1")
    parser.add_argument("--metric", default="f1", help=f"deciding metric: {', '.join(METRICS)} (default f1, macro)")
    parser.add_argument("--workflow", default="", help="tag argo.workflow on the evaluation run")
    parser.add_argument("--outputs-dir", type=Path, default=DEFAULT_OUTPUTS_DIR, help="where Argo reads outputs")
    args = parser.parse_args(argv)
    if not args.model_name:
        parser.error("--model-name is required")
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
    print(result.summary())
    return 0


if __name__ == "__main__":
    run_cli(PROG, main)
