"""`python -m components.build`: the CLI the `build` step runs.

Writes the bundle to `--out` (an Argo output artifact) and the output `bundle-digest` to `--outputs-dir`.
"""

from __future__ import annotations

from pathlib import Path

from components._common import DEFAULT_OUTPUTS_DIR, OneLineParser, resolve_target, run_cli
from components.build._build import TARGETS, build

PROG = "components.build"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build, print the digest; returns the exit code."""
    parser = OneLineParser(prog=PROG, description="Package a registered model version for serving.")
    parser.add_argument("--model-uri", required=True, help="models:/NAME/VERSION")
    parser.add_argument("--model-version", default="", help="must match the URI's version when given")
    parser.add_argument("--tracking-uri", required=True, help="MLflow tracking server URL")
    parser.add_argument("--target", default="local", help=f"{' or '.join(TARGETS)} (default local)")
    parser.add_argument("--out", type=Path, required=True, help="a new or empty folder for the bundle")
    parser.add_argument("--base-image", default=None, help="FROM image of the cluster Dockerfile")
    parser.add_argument("--outputs-dir", type=Path, default=DEFAULT_OUTPUTS_DIR, help="where Argo reads outputs")
    args = parser.parse_args(argv)
    result = build(
        model_uri=args.model_uri,
        tracking_uri=args.tracking_uri,
        target=args.target,
        out=args.out,
        model_version=args.model_version,
        base_image=args.base_image,
        outputs_dir=args.outputs_dir,
    )
    print(f"built {resolve_target(args.target)} bundle of {args.model_uri} in {result.out}: {result.digest}")
    return 0


if __name__ == "__main__":
    run_cli(PROG, main)
