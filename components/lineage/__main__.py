"""`python -m components.lineage`: the CLI the `tag-rollout` step runs (tags a model version with its Rollout)."""

from __future__ import annotations

from pathlib import Path

from components._common import DEFAULT_OUTPUTS_DIR, OneLineParser, run_cli
from components.lineage._tag import tag_rollout

PROG = "components.lineage"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, tag the version, print what was set; returns the exit code."""
    parser = OneLineParser(prog=PROG, description="Tag a model version with the Rollout it was deployed to.")
    parser.add_argument("--model-name", required=True, help="registered model name")
    parser.add_argument("--model-version", required=True, help="the deployed version")
    parser.add_argument("--rollout", required=True, help="NAMESPACE/NAME of the Rollout")
    parser.add_argument("--generation", default="", help="the Rollout's metadata.generation after the apply")
    parser.add_argument("--revision", default="", help="the Rollout's revision (rollout.argoproj.io/revision)")
    parser.add_argument("--workflow", default="", help="the workflow that deployed it")
    parser.add_argument("--tracking-uri", required=True, help="MLflow tracking server URL")
    parser.add_argument("--outputs-dir", type=Path, default=DEFAULT_OUTPUTS_DIR, help="unused; every step takes it")
    args = parser.parse_args(argv)
    tags = tag_rollout(
        args.tracking_uri,
        args.model_name,
        args.model_version,
        args.rollout,
        generation=args.generation,
        revision=args.revision,
        workflow=args.workflow,
    )
    print(f"{args.model_name} v{args.model_version}: " + ", ".join(f"{k}={v}" for k, v in tags.items()))
    return 0


if __name__ == "__main__":
    run_cli(PROG, main)
