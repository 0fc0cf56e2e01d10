"""`python -m components.train`: the CLI the `train` step runs.

Writes the outputs `run-id`, `model-uri`, `model-version` and `metrics` (JSON) to `--outputs-dir`.
"""

from __future__ import annotations

from pathlib import Path

from components._common import DATASETS, DEFAULT_OUTPUTS_DIR, OneLineParser, check_reachable, run_cli
from components.train._params import load_params, validate_model_name
from components.train._revision import resolve_revision

PROG = "components.train"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, train, print the model URI; returns the exit code."""
    parser = OneLineParser(prog=PROG, description="Train a model from params.yaml, log it to MLflow, register it.")
    parser.add_argument("--model-name", required=True, help="registered model name (also the Rollout name)")
    parser.add_argument("--tracking-uri", required=True, help="MLflow tracking server URL")
    parser.add_argument("--params-file", type=Path, help="the model project's params.yaml (default: all defaults)")
    parser.add_argument("--dataset", default="", help=f"overrides params.yaml: {', '.join(DATASETS)}")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a params.yaml key (dotted, YAML value), e.g. model.C=0.5; an empty VALUE is ignored",
    )
    parser.add_argument("--git-repo", default="", help="tag git.repo")
    parser.add_argument(
        "--git-revision", default="", help="tag git.revision (a branch or tag checked out is recorded as its SHA)"
    )
    parser.add_argument("--workflow", default="", help="tag argo.workflow")
    parser.add_argument("--experiment", default=None, help="MLflow experiment (default: the model name)")
    parser.add_argument("--outputs-dir", type=Path, default=DEFAULT_OUTPUTS_DIR, help="where Argo reads outputs")
    args = parser.parse_args(argv)
    params = load_params(args.params_file, args.overrides, args.dataset)
    validate_model_name(args.model_name)
    check_reachable(args.tracking_uri)
    from components.train._train import train  # mlflow and scikit-learn load only for valid input

    result = train(
        params,
        model_name=args.model_name,
        tracking_uri=args.tracking_uri,
        git_repo=args.git_repo,
        git_revision=resolve_revision(args.git_revision, args.params_file),
        workflow=args.workflow,
        experiment=args.experiment,
        outputs_dir=args.outputs_dir,
    )
    print(f"registered {result.model_uri} (run {result.run_id}): {result.metrics}")
    return 0


if __name__ == "__main__":
    run_cli(PROG, main)
