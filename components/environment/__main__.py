"""`python -m components.environment`: the CLI the `build-env` step runs.

Checks the project (sluicegate.yaml, MLproject, environment files), then builds or reuses its
environment (`--target local`) or writes a Kaniko context (`--target cluster`; `auto` picks local on the
local stack, cluster elsewhere). Outputs `image`,
`env-digest`, `warning` (empty, or why the Python version differs from the one asked for) and `build`:
`true` when the cluster's `build-image` step (Kaniko) must build and push `image` from the context. A
project whose MLproject names `docker_env.image` runs in that image on a cluster: nothing is built.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version
from pathlib import Path

from components._common import (
    DEFAULT_OUTPUTS_DIR,
    OneLineParser,
    UserError,
    note,
    resolve_target,
    run_cli,
    write_outputs,
)
from components.environment._build import ensure_env
from components.environment._context import build_context, local_image
from components.project import load_config, load_mlproject, resolve_env
from contract import ENVS_DIR_ENV

PROG = "components.environment"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build, print the image name; returns the exit code."""
    parser = OneLineParser(prog=PROG, description="Build or reuse a model project's Python environment.")
    parser.add_argument("--project", type=Path, required=True, help="the checked-out model project")
    parser.add_argument("--model-name", default="", help="default: sluicegate.yaml's name")
    parser.add_argument(
        "--target",
        choices=("local", "cluster", "auto"),
        default="local",
        help="auto: local on the local stack (it sets $SLUICE_ENVS_DIR), cluster elsewhere",
    )
    parser.add_argument("--envs-dir", type=Path, default=None, help=f"local target (default: ${ENVS_DIR_ENV})")
    parser.add_argument("--registry", default="", help="cluster target: where Kaniko pushes, e.g. ghcr.io/team")
    parser.add_argument("--out", type=Path, default=Path("/tmp/context"), help="cluster target: build context")
    parser.add_argument("--outputs-dir", type=Path, default=DEFAULT_OUTPUTS_DIR, help="where Argo reads outputs")
    args = parser.parse_args(argv)
    config = load_config(args.project)
    project = load_mlproject(args.project)
    spec = resolve_env(args.project, project, mlflow_version=version("mlflow"))
    name = args.model_name or config.name
    if resolve_target(args.target) == "cluster":
        if not args.registry:
            raise UserError("--registry is required with --target cluster", fix="pass e.g. --registry ghcr.io/team")
        if project.docker_env is not None:
            image = project.docker_env.image
            write_outputs(args.outputs_dir, {"image": image, "env-digest": "", "warning": "", "build": "false"})
            print(f"MLproject docker_env: the entry point runs in {image} (nothing to build)")
            return 0
        build_context(spec, args.out)
        image = f"{args.registry.rstrip('/')}/{name}-env:{spec.digest()[:32]}"
        digest = f"sha256:{spec.digest()}"
        write_outputs(args.outputs_dir, {"image": image, "env-digest": digest, "warning": "", "build": "true"})
        print(f"wrote the build context of {image} to {args.out}")
        return 0
    envs = args.envs_dir or (Path(os.environ[ENVS_DIR_ENV]) if os.environ.get(ENVS_DIR_ENV) else None)
    if envs is None:
        raise UserError(f"no environments folder: ${ENVS_DIR_ENV} is unset", fix="pass --envs-dir")
    built = ensure_env(spec, envs, strict_python=config.environment.strict_python)
    image = local_image(name, built.digest)
    if built.warning:  # also the node's message (environment.strict_python: true makes it an error)
        print(f"warning: {built.warning}", file=sys.stderr)
        note(f"warning: {built.warning} (set environment.strict_python: true in sluicegate.yaml to fail instead)")
    outputs = {"image": image, "env-digest": f"sha256:{built.digest}", "warning": built.warning, "build": "false"}
    write_outputs(args.outputs_dir, outputs)
    state = f"built in {built.seconds:.1f} s" if built.built else f"reused ({built.seconds * 1000:.0f} ms)"
    print(f"{image}: Python {built.python}, {state}")
    return 0


if __name__ == "__main__":
    run_cli(PROG, main)
