"""Fixtures shared by every test area: a real MLflow server, an isolated SLUICE_HOME, the local API."""

from __future__ import annotations

import copy
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.secrets import SecretStore
from sluicegate.services import MlflowServer
from sluicegate.stack import Part, StackContext
from sluicegate.store import Store
from tests.runwide import shared_mlflow, stop_run_servers

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "manifests"

# Tests run side by side (pytest-xdist workers, other suites on the machine): EventSources of any stack a test
# starts, in-process or as `sluice up`, bind free ports instead of their manifests' fixed 12000-12002.
os.environ.setdefault("SLUICE_EVENTS_PORTS", "auto")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a `slow` test come first, in their usual order, then every other module.

    `make test` hands whole modules to xdist workers in collection order (`--dist loadfile
    --no-loadscope-reorder`): the long end-to-end flows start at once on all workers instead of being left
    to run one after another on a single worker at the end of the run.
    """
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow)


@functools.cache
def _parsed_manifests() -> tuple[tuple[str, Any], ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: a tenth of the pure-Python loader's CPU
    return tuple((p.name, yaml.load(p.read_text(), Loader=loader)) for p in sorted(MANIFESTS.glob("*.yaml")))


def rendered_manifests() -> list[tuple[str, Any]]:
    """(file name, document) of every file in manifests/, in name order: parsed once per process, copied per call.

    Many test modules read them, several once per test or at collection: parsing all of them costs ~0.6 s of CPU.
    """
    return copy.deepcopy(list(_parsed_manifests()))


def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """The folder shared by every xdist worker of this run (None when the run has one process)."""
    return tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else None


@pytest.fixture(scope="session", autouse=True)
def sluice_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SLUICE_CACHE_DIR of this run, shared by its xdist workers: MLflow's schema is migrated once per run, and
    each environment (`envs` in it: the stacks', the model servers') is built once per run, then reused.

    A test that checks a cold build gives the builder a folder of its own.
    """
    cache = (_run_dir(tmp_path_factory) or tmp_path_factory.getbasetemp()) / "sluice-cache"
    os.environ["SLUICE_CACHE_DIR"] = str(cache)  # read by every MlflowServer, in-process or in `sluice up`
    os.environ.pop("SLUICE_ENVS_DIR", None)  # the run's environments, not a folder of the shell running it
    return cache


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` (sqlite backend, local artifacts) for the whole run; yields its URL.

    Under xdist one server serves every worker (tests/runwide.py); tests name their models and experiments
    uniquely, as they did with a server of their own.
    """
    timeout = 300  # its start alone takes minutes on a busy 2-core machine
    run_dir = _run_dir(tmp_path_factory)
    if run_dir is not None:
        yield shared_mlflow(run_dir / "mlflow-shared", timeout)  # stopped by pytest_sessionfinish of the controller
        return
    server = MlflowServer(tmp_path_factory.mktemp("mlflow"))
    url = server.start(timeout=timeout)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def own_mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MLflow server of one test module alone; yields its URL.

    For modules whose runs ask for evaluation (`sluicegate.evaluate=true`): the run-wide server is watched by
    the MLflow relays of other modules' stacks, whose Sensors would evaluate (and deploy) those versions too.
    A module overrides `mlflow_server` with it (`mlflow_server = own_mlflow_server`, module scope).
    """
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-own"))
    url = server.start(timeout=300)
    try:
        yield url
    finally:
        server.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The xdist controller, once every worker is done, stops the servers its workers shared."""
    if session.config.pluginmanager.has_plugin("dsession"):  # the controller's plugin: not in a worker
        stop_run_servers(session.config._tmp_path_factory.getbasetemp())  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def mlflow_auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real `mlflow server` running MLflow's basic-auth app, as `sluice up` starts it, for the whole session."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-auth"), auth=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SLUICE_HOME for this test."""
    home = tmp_path / "sluice-home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    return home


@dataclass
class LocalApi:
    url: str
    token: str
    home: Path
    store: Store


def local_stack_parts(home: Path, with_controller: bool, routes_of: Sequence[Part] = ()) -> Iterator[LocalApi]:
    """The API (with the routes of `routes_of`, which are not started) and optionally the workflow controller."""
    store = Store(home / "store.db")
    ctx = StackContext(Settings(home=home, api_port=0), store, SecretStore(home), token="backend-token-1")
    api = ApiServer()
    api.attach(routes_of)
    parts: list[Part] = [api]
    if with_controller:
        from sluicegate.engine import WorkflowController

        parts.append(WorkflowController())
    url = ""
    try:
        for part in parts:
            url = part.start(ctx).get("api", url)
        (home / "endpoints.json").write_text(f'{{"api": "{url}", "mlflow": "http://127.0.0.1:1"}}')
        (home / "token").write_text(ctx.token)
        yield LocalApi(url, ctx.token, home, store)
    finally:
        for part in reversed(parts):
            part.stop()
        store.close()


@pytest.fixture(scope="module")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """The local stack's real Argo-compatible API on a free port, with the endpoints.json and token it writes."""
    yield from local_stack_parts(tmp_path_factory.mktemp("backend-home"), with_controller=False)


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """The API plus the real workflow controller (the parts of `sluice up` that run workflows; no MLflow)."""
    yield from local_stack_parts(tmp_path_factory.mktemp("stack-home"), with_controller=True)


def processes_running(argv: str) -> list[int]:
    """Host pids whose command line is `argv` (a sandboxed step sees only its own PID namespace)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().replace(b"\0", b" ").strip() == argv.encode():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


#: What MLflow's fluent setters export for subprocesses to inherit (set_tracking_uri, set_registry_uri, set_experiment).
_MLFLOW_EXPORTS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")


def _mlflow_globals_saved() -> Callable[[], None]:
    """Save MLflow's process-wide tracking/registry URIs, active experiment and MLFLOW_* exports; returns the undo."""
    exported = {name: os.environ.get(name) for name in _MLFLOW_EXPORTS}
    loaded = "mlflow.tracking.fluent" in sys.modules  # not loaded yet: its globals are at their defaults (None)
    if loaded:
        from mlflow.tracking import fluent
        from mlflow.tracking._model_registry import utils as registry
        from mlflow.tracking._tracking_service import utils as tracking

        before = (tracking._tracking_uri, registry._registry_uri, fluent._active_experiment_id)
    else:
        before = (None, None, None)

    def undo() -> None:
        if "mlflow.tracking.fluent" in sys.modules:
            import mlflow
            from mlflow.tracking import fluent
            from mlflow.tracking._model_registry import utils as registry
            from mlflow.tracking._tracking_service import utils as tracking

            if tracking._tracking_uri != before[0]:
                mlflow.set_tracking_uri(before[0])  # type: ignore[arg-type]  # None unsets it, as at the start
            registry._registry_uri = before[1]
            fluent._active_experiment_id = before[2]
        for name, value in exported.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    return undo


@contextmanager
def mlflow_pointed_at(uri: str, experiment: str | None = None) -> Iterator[str | None]:
    """MLflow's fluent API (start_run, log_model, load_model) on `uri` and `experiment` for the block only.

    Yields the experiment's id (None without an experiment). `mlflow.set_tracking_uri`, `set_registry_uri`
    and `set_experiment` change process-wide state and export MLFLOW_* variables: left set, they point every
    later test of the worker, and the steps and servers it starts, at this server.
    """
    import mlflow

    undo = _mlflow_globals_saved()
    try:
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        yield None if experiment is None else mlflow.set_experiment(experiment).experiment_id
    finally:
        undo()


@pytest.fixture(autouse=True)
def _mlflow_globals_kept() -> Iterator[None]:
    """Whatever a test (or product code it calls in-process, as a step would) sets in MLflow's globals ends with it."""
    undo = _mlflow_globals_saved()
    yield
    undo()
