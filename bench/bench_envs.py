"""Model projects' environments: Sluicegate's build-env + entry-point start vs `mlflow run --env-manager uv`.

Run: `python -m bench envs` (part of `make bench`). One project made by `sluice init` (scikit-learn, pandas,
MLflow pinned to this stack's versions) gets an entry point `noop` that prints the time it starts. Measured
in the same run, cold (fresh environments folder) and warm (the environment exists):

- ours: check the project and resolve its spec, build or reuse the env (`ensure_env`), resolve the entry
  point's command and start it in the env -> until the user's code runs. Creating the MLflow run (one
  REST call in start-run) is not included.
- ours, as a step: a workflow on the local engine whose one step runs in the built environment's image
  (`sluicegate.local/envs/<model>@sha256:<hash>`, as `run-entry-point`) -> from submitting the workflow
  until the user's code runs (the controller's scheduling and the step's start included).
- peer: `mlflow run . -e noop --env-manager uv` with a fresh `MLFLOW_ENV_ROOT` (cold), then again (warm),
  against a sqlite tracking store -> until the user's code runs, and until the command returns.

Both use uv and the same warm uv package cache (what `make install` left), so the difference is the work
around the install, not the download.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from components.environment import ensure_env
from components.project import load_config, load_mlproject, resolve_env
from sluicegate.project import scaffold

NOOP = '  noop:\n    command: "python -c \\"import time; print(time.time())\\""\n'


def _ours(project: Path, envs: Path) -> tuple[float, float, bool]:
    start = time.time()
    config = load_config(project)
    mlproject = load_mlproject(project)
    spec = resolve_env(project, mlproject)
    built = ensure_env(spec, envs, strict_python=config.environment.strict_python)
    command = mlproject.entry_point("noop", project).command_line({}, "bench")
    env = {**os.environ, "VIRTUAL_ENV": str(built.path), "PATH": f"{built.path / 'bin'}:{os.environ['PATH']}"}
    out = subprocess.run(["bash", "-c", command], cwd=project, env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1]) - start, time.time() - start, built.built


def _engine_step(project: Path, home: Path) -> float:
    """Submit one step in the project's (already built) environment; seconds until its code ran."""
    from components.environment import local_image
    from sluicegate.engine.testing import LocalEngine

    spec = resolve_env(project, load_mlproject(project))
    built = ensure_env(spec, home / "envs")
    code = "import time; print(repr(time.time()))"
    template = {
        "name": "main",
        "container": {"image": local_image("bench", built.digest), "command": ["python", "-c", code]},
    }
    with LocalEngine(home, envs=home / "envs") as engine:
        start = time.time()
        wf = engine.submit({"metadata": {"generateName": "bench-env-", "namespace": "sluicegate"},
                            "spec": {"entrypoint": "main", "templates": [template]}})  # fmt: skip
        done = engine.wait(wf, timeout=120)
    if done["status"]["phase"] != "Succeeded":
        raise RuntimeError(f"the step did not run: {done['status'].get('message', '')}")
    log = (home / "logs" / "sluicegate" / done["metadata"]["name"]).rglob("*.log")
    printed = [line for p in log for line in p.read_text().split() if line.replace(".", "", 1).isdigit()]
    return float(printed[-1]) - start


def _mlflow(project: Path, env_root: Path, db: Path) -> tuple[float, float]:
    start = time.time()
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "MLFLOW_ENV_ROOT": str(env_root),
        "MLFLOW_TRACKING_URI": f"sqlite:///{db}",
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    out = subprocess.run(
        [str(bin_dir / "mlflow"), "run", str(project), "-e", "noop", "--env-manager", "uv"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    printed = [line for line in out.stdout.splitlines() if line.strip().replace(".", "", 1).isdigit()]
    return float(printed[-1]) - start, time.time() - start


def main() -> None:
    """Print the markdown table."""
    with tempfile.TemporaryDirectory(prefix="bench-envs-") as tmp:
        root = Path(tmp)
        project = root / "bench-project"
        scaffold(project, "classification")
        (project / "MLproject").write_text((project / "MLproject").read_text() + NOOP)
        ours_cold = _ours(project, root / "envs")
        ours_warm = _ours(project, root / "envs")
        ours_warm2 = _ours(project, root / "envs")
        (root / "engine").mkdir()
        (root / "envs").rename(root / "engine" / "envs")  # the engine's environments folder: warm
        step_warm = min(_engine_step(project, root / "engine") for _ in range(3))
        peer_cold = _mlflow(project, root / "mlflow-envs", root / "mlflow.db")
        peer_warm = _mlflow(project, root / "mlflow-envs", root / "mlflow.db")
    assert ours_cold[2] and not ours_warm[2]
    warm = min(ours_warm[0], ours_warm2[0])
    print("| environment | Sluicegate: to user code | `mlflow run --env-manager uv`: to user code / total | ratio |")
    print("|---|---|---|---|")
    print(
        f"| cold (build) | {ours_cold[0]:.1f} s | {peer_cold[0]:.1f} s / {peer_cold[1]:.1f} s "
        f"| {peer_cold[0] / ours_cold[0]:.1f}x |"
    )
    print(
        f"| warm (reuse) | {warm * 1000:.0f} ms | {peer_warm[0]:.1f} s / {peer_warm[1]:.1f} s "
        f"| {peer_warm[0] / warm:.1f}x |"
    )
    print(
        f"| warm, as a workflow step on the local engine (submit -> user code) | {step_warm * 1000:.0f} ms "
        f"| {peer_warm[0]:.1f} s / {peer_warm[1]:.1f} s | {peer_warm[0] / step_warm:.1f}x |"
    )
    print()
    print(f"Warm start to user code under 1 s: {'yes' if warm < 1.0 else 'NO'} ({warm * 1000:.0f} ms).")
    print(
        f"Warm train step (submit -> user code) under 1 s: {'yes' if step_warm < 1.0 else 'NO'} "
        f"({step_warm * 1000:.0f} ms)."
    )


if __name__ == "__main__":
    main()
