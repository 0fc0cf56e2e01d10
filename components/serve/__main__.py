"""`python -m components.serve --model-uri URI --host H --port P [--workers N] [--env-manager uv|local]`.

Run by the Rollout's container (cluster), by the local rollout controller (one process per replica set) and
by the stress-test step. `MODEL_URI` (set from the pod annotation `sluicegate.io/model-uri` through the
downward API) is used when `--model-uri` is not given; `MLFLOW_TRACKING_URI` or `--tracking-uri` resolves
`models:/` URIs (with `MLFLOW_TRACKING_USERNAME`/`PASSWORD` when the server asks for them, as MLflow's
client reads them).

With `--env-manager uv` (the default; `SLUICE_SERVE_ENV_MANAGER`), a model without the numpy fast path in
this interpreter is served by this same program re-executed in the environment MLflow logged with the
model, built with uv in the machine's environments folder (as `mlflow models serve --env-manager uv`).
`local` serves every model here (an image that already is the model's environment).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.serve._model import LoadedModel

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m components.serve", description=__doc__)
    parser.add_argument("--model-uri", default=os.environ.get("MODEL_URI", ""))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SERVE_WORKERS", "1")))
    parser.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI", ""))
    parser.add_argument(
        "--env-manager",
        choices=("uv", "local"),
        default=os.environ.get("SLUICE_SERVE_ENV_MANAGER", "uv"),
        help="uv: serve a model without a fast path here in its own logged environment; local: serve here",
    )
    return parser


def _code_dir(home: Path) -> Path:
    """A folder holding only links to the server's own packages, for the model's environment's PYTHONPATH.

    `components` and the dependency-free `contract` it imports; not Sluicegate.
    """
    import hashlib

    import components
    import contract

    packages = [Path(components.__file__).resolve().parent, Path(contract.__file__).resolve().parent]
    code = home / "serve-code" / hashlib.sha256(str(packages[0]).encode()).hexdigest()[:16]
    code.mkdir(parents=True, exist_ok=True)
    for package in packages:
        link = code / package.name
        if not (link.is_symlink() and link.resolve() == package):
            tmp_link = code / f".{package.name}-{os.getpid()}"
            tmp_link.unlink(missing_ok=True)
            tmp_link.symlink_to(package, target_is_directory=True)
            os.replace(tmp_link, link)
    return code


def _in_model_env(args: argparse.Namespace, path: Path, info: object) -> None:
    """Re-execute this server in the model's environment (does not return)."""
    from components.serve._env import serve_env
    from components.serve._load import INFO_ENV

    home = Path(os.environ.get("SLUICE_HOME", ".sluice")).absolute()
    python = serve_env(path)
    code = _code_dir(home)  # only the server's own code joins the model's environment, not Sluicegate
    argv = [str(python), "-m", "components.serve", "--model-uri", str(path), "--env-manager", "local"]
    argv += ["--host", args.host, "--port", str(args.port), "--workers", str(args.workers)]
    child_env = {**os.environ, "PYTHONPATH": str(code), INFO_ENV: json.dumps(asdict(info))}  # type: ignore[call-overload]
    if args.tracking_uri:
        child_env["MLFLOW_TRACKING_URI"] = args.tracking_uri
    child_env.pop("VIRTUAL_ENV", None)
    # The model is already here: the user's code needs no MLflow credentials (nor any other secret we hold).
    for key in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "SLUICE_TOKEN"):
        child_env.pop(key, None)
    sys.stderr.flush()
    os.execve(str(python), argv, child_env)


def _import_scipy_first() -> None:
    """Import scipy.special (when there) before MLflow: the same modules, 1-1.5 s less CPU to load a model.

    skops (MLflow's scikit-learn format) names each of scipy's ~230 ufuncs by the first loaded module that holds
    it, scanning the loaded modules in import order: after MLflow's ~2,000 modules, each scan passes them all.
    scipy comes with scikit-learn, which every model served here but a few pyfuncs loads anyway.
    """
    with contextlib.suppress(ImportError):
        importlib.import_module("scipy.special")


def main(argv: list[str] | None = None) -> int:
    """Fetch the model, pick where it runs, load it (fail fast with a clear message), then serve it."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.model_uri:
        parser.error("no model: pass --model-uri or set MODEL_URI (e.g. models:/breast-cancer/1)")
    # Concurrency comes from stacking requests: one native thread per model call answers the same (each row
    # is computed alone) and does not spin against the other worker processes. An explicit setting wins.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _import_scipy_first()
    import uvicorn

    from components.httpguard import Guard
    from components.serve._app import MAX_BODY, ServeApp
    from components.serve._load import fetch, load_dir, served_here
    from components.serve._wire import JoinedHttpProtocol

    metrics_dir = os.environ.get("SLUICE_SERVE_METRICS_DIR") or tempfile.mkdtemp(prefix="sluice-metrics-")
    try:
        path, info = fetch(args.model_uri, args.tracking_uri or None)
        if args.env_manager == "uv" and not served_here(path):
            from components._common import UserError

            try:
                _in_model_env(args, path, info)
            except UserError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
        model = load_dir(path, info)
    except Exception as e:
        print(f"error: cannot load model {args.model_uri!r}: {type(e).__name__}: {e}", file=sys.stderr)
        print("fix: check the URI exists in MLflow (models:/NAME/VERSION) and MLFLOW_TRACKING_URI", file=sys.stderr)
        return 2
    options = {"host": args.host, "port": args.port, "log_level": "warning", "access_log": False}
    # The guarded protocol drops clients that do not send a request head within the guard's deadline; this one
    # also sends each answer's head and body in one write.
    options |= {"http": JoinedHttpProtocol, "loop": "uvloop", "timeout_keep_alive": 30}
    options |= {"timeout_graceful_shutdown": 10}
    if args.workers <= 1:
        app = ServeApp(args.model_uri, args.tracking_uri or None, Path(metrics_dir), model=model)
        uvicorn.run(Guard(app, MAX_BODY), **options)
        return 0
    os.environ.update(MODEL_URI=str(path), MLFLOW_TRACKING_URI=args.tracking_uri, SLUICE_SERVE_METRICS_DIR=metrics_dir)
    os.environ["SLUICE_SERVE_MODEL_INFO"] = json.dumps(asdict(info))
    _fork_workers_with(model)
    uvicorn.run("components.serve._app:create_app", factory=True, workers=args.workers, **options)
    return 0


def _fork_workers_with(model: LoadedModel) -> None:
    """Have uvicorn start each worker as a fork of this process, `model` loaded, when that is safe (else: spawn).

    A spawned worker imports MLflow and the model's libraries and loads the model again (5-8 s of CPU each);
    a fork starts with all of it, as this process loaded it (same code, same files: the same answers). Only
    for a model on the numpy fast path (a scikit-learn, XGBoost or LightGBM model, loaded by MLflow's flavor:
    no user code ran at load, which could have opened a connection or started a clock the workers would then
    share), and only in a process whose one thread is this one: a fork copies no other thread, and a lock one
    held stays held in the child (an OpenMP pool that ever ran hangs the child's next parallel region).
    jemalloc's background thread (pyarrow's allocator, loaded by MLflow) is the exception: jemalloc forks safely.
    """
    import threading

    import uvicorn._subprocess

    from components.serve import _app

    if model.fast is None or os.environ.get("OMP_NUM_THREADS") != "1":
        return
    if "fork" not in multiprocessing.get_all_start_methods():
        return
    if not isinstance(getattr(uvicorn._subprocess, "spawn", None), multiprocessing.context.SpawnContext):
        return  # another uvicorn: its own way of starting workers
    me = threading.get_native_id()
    try:
        others = [t for t in os.listdir("/proc/self/task") if int(t) != me]
        names = [Path(f"/proc/self/task/{t}/comm").read_text().strip() for t in others]
    except (OSError, ValueError):
        return
    if threading.active_count() != 1 or any(name != "jemalloc_bg_thd" for name in names):
        return
    _app.PRELOADED = model
    gc.freeze()  # what is loaded now is kept: no collection in a worker walks (and so copies) its pages
    uvicorn._subprocess.spawn = _Forks()  # type: ignore[assignment]


class _Forks:
    """Stands in for uvicorn's spawn context: `Process` forks this process."""

    def Process(self, target: Callable[..., None], kwargs: dict[str, Any]) -> multiprocessing.context.ForkProcess:
        """A worker process to start: `target(**kwargs)` in a fork, with a fresh interpreter's signal handling."""
        return multiprocessing.get_context("fork").Process(target=_forked, args=(target,), kwargs=kwargs)


def _forked(started: Callable[..., None], /, **kwargs: Any) -> None:
    """In the forked worker: the signal handlers the supervisor set go back to Python's defaults, then run."""
    from uvicorn.supervisors.multiprocess import SIGNALS

    for sig in SIGNALS:
        signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)
    started(**kwargs)


if __name__ == "__main__":
    sys.exit(main())
