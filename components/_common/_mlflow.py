"""The connection to the MLflow tracking server, checked up front so an unreachable server is one clear line.

Called by train, evaluate, build and stress-test before they log anything, and by `_rest` (the steps that
need no mlflow) for the same check and the same one-line error. MLflow's own client retries for minutes
before it gives up; a step should say at once which URI it could not reach.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from components._common._cli import UserError
from components._common._sigterm import hold_sigterm, release_sigterm
from contract import ModelUri

if TYPE_CHECKING:
    from mlflow import ActiveRun
    from mlflow.tracking import MlflowClient

# mlflow and httpx are imported inside the functions: a CLI that rejects its input should answer at once

__all__ = [
    "as_user_error",
    "check_reachable",
    "connect",
    "mlflow_errors",
    "parse_models_uri",
    "run_started",
    "use_experiment",
]


def check_reachable(tracking_uri: str, timeout: float = 10.0) -> None:
    """For http(s) URIs, check that `/health` answers; other URIs (file:, sqlite:) pass.

    Raises:
        UserError: the server does not answer (the message names the URI).
    """
    if not tracking_uri:
        raise UserError(
            "--tracking-uri is empty", fix="pass the MLflow tracking server URL, e.g. http://127.0.0.1:5000"
        )
    if not tracking_uri.startswith(("http://", "https://")):
        return
    import httpx

    health = tracking_uri.rstrip("/") + "/health"
    try:
        response = httpx.get(health, timeout=timeout)
    except httpx.HTTPError as e:
        raise UserError(
            f"cannot reach MLflow at {tracking_uri} ({type(e).__name__}: {e})",
            fix="start the server (`sluice up`) or pass the right --tracking-uri",
        ) from e
    if response.status_code >= 400:
        raise UserError(
            f"MLflow at {tracking_uri} answered HTTP {response.status_code} on /health",
            fix="check that --tracking-uri points at an MLflow tracking server",
        )


def connect(tracking_uri: str, timeout: float = 10.0) -> MlflowClient:
    """Point MLflow at `tracking_uri` and return a client, after `check_reachable`.

    Raises:
        UserError: the server does not answer (the message names the URI).
    """
    check_reachable(tracking_uri, timeout)
    _ensure_user()
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    return MlflowClient(tracking_uri)


def use_experiment(name: str) -> str:
    """Make `name` the active experiment, creating it if needed; returns its id.

    Two steps starting at once for a new model race to create its experiment; the loser finds it instead.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return str(mlflow.set_experiment(name).experiment_id)
    except MlflowException:
        return str(mlflow.set_experiment(name).experiment_id)


@contextmanager
def run_started(run_name: str, tags: dict[str, str]) -> Iterator[ActiveRun]:
    """`mlflow.start_run(...)` whose run a SIGTERM cannot leave RUNNING.

    `start_run` creates the run on the server, then makes it the active run. A SIGTERM in between (the
    step's `Terminated`) would leave a run no `with` block ends. SIGTERM is held back until the run is
    entered, so it arrives inside the block and MLflow marks the run FAILED.
    """
    import mlflow

    held = hold_sigterm()
    try:
        active = mlflow.start_run(run_name=run_name, tags=tags)
    except BaseException:
        if held:
            release_sigterm()  # a SIGTERM that came meanwhile wins over the failure to start
        raise
    with active as run:
        if held:
            release_sigterm()  # a held SIGTERM is raised here, in the run, which MLflow then marks FAILED
        yield run


def _ensure_user() -> None:
    # MLflow tags every run with getpass.getuser(), which raises when the uid has no /etc/passwd entry, as
    # under a pod's runAsUser; getuser() reads LOGNAME first, so give it one in that case only
    try:
        getpass.getuser()
    except (KeyError, OSError):
        os.environ["LOGNAME"] = f"uid-{os.getuid()}"


def parse_models_uri(uri: str) -> tuple[str, str]:
    """Split `models:/NAME/VERSION` into `(name, version)`.

    Raises:
        UserError: any other form.
    """
    parsed = ModelUri.parse(uri)
    if parsed is None or not parsed.name or not parsed.numbered:
        raise UserError(
            f"model URI {uri!r} is not of the form models:/NAME/VERSION", fix="e.g. models:/breast-cancer/3"
        )
    return parsed.name, parsed.version


@contextmanager
def mlflow_errors(tracking_uri: str) -> Iterator[None]:
    """Turn MLflow client errors (missing model, version, alias; rejected request) into one-line `UserError`s."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as e:
        raise as_user_error(tracking_uri, str(e.message if hasattr(e, "message") else e)) from e


def as_user_error(tracking_uri: str, message: str) -> UserError:
    """The one-line `UserError` for MLflow's error `message` (its first line), naming the server."""
    first = message.strip().splitlines()[0] if message.strip() else "no message"
    return UserError(f"MLflow at {tracking_uri}: {first}", fix="check the model name, version and URI")
