"""The connection to the MLflow tracking server, checked up front so an unreachable server is one clear line.

Called by train, evaluate, build and stress-test before they log anything. MLflow's own client retries
for minutes before it gives up; a step should say at once which URI it could not reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from components._common._cli import UserError

__all__ = ["connect", "mlflow_errors", "parse_models_uri"]

_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


def connect(tracking_uri: str, timeout: float = 10.0) -> MlflowClient:
    """Point MLflow at `tracking_uri` and return a client; for http(s) URIs, check `/health` first.

    Raises:
        UserError: the server does not answer (the message names the URI).
    """
    if not tracking_uri:
        raise UserError(
            "--tracking-uri is empty", fix="pass the MLflow tracking server URL, e.g. http://127.0.0.1:5000"
        )
    if tracking_uri.startswith(("http://", "https://")):
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
    mlflow.set_tracking_uri(tracking_uri)
    return MlflowClient(tracking_uri)


def parse_models_uri(uri: str) -> tuple[str, str]:
    """Split `models:/NAME/VERSION` into `(name, version)`.

    Raises:
        UserError: any other form.
    """
    match = _MODELS_URI.match(uri)
    if match is None:
        raise UserError(
            f"model URI {uri!r} is not of the form models:/NAME/VERSION", fix="e.g. models:/breast-cancer/3"
        )
    return match["name"], match["version"]


@contextmanager
def mlflow_errors(tracking_uri: str) -> Iterator[None]:
    """Turn MLflow client errors (missing model, version, alias; rejected request) into one-line `UserError`s."""
    try:
        yield
    except MlflowException as e:
        first = str(e.message if hasattr(e, "message") else e).strip().splitlines()[0]
        raise UserError(f"MLflow at {tracking_uri}: {first}", fix="check the model name, version and URI") from e
