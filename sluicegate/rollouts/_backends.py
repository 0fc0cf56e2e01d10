"""Model server processes of the local rollout controller, and the MLflow bookkeeping of promotions/aborts.

Called by `_controller`: one `ModelProcess` (`python -m components.serve`) per model URI a Rollout serves
(stable, canary). Starting is non-blocking: the controller polls `poll()` each tick. `mark_champion` and
`mark_aborted` are the only MLflow client calls of the rollouts runtime (the adapter module for mlflow here).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from contract import ModelUri
from sluicegate.rollouts._splitter import Backend
from sluicegate.services import ManagedProcess, free_port

__all__ = ["ModelProcess", "mark_aborted", "mark_champion"]

ABORTED_TAG = "sluicegate.rollout"


class ModelProcess:
    """`components.serve` for one model URI on a free port of 127.0.0.1.

    Args:
        model_uri: what to serve.
        tracking_uri: MLflow tracking URI (for `models:/` URIs).
        log: the process's log file.
    """

    def __init__(self, model_uri: str, tracking_uri: str, log: Path) -> None:
        self.model_uri = model_uri
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backend = Backend("127.0.0.1", self.port)
        self.state = "starting"  # starting | ready | failed
        self.error = ""
        self.version = ""
        self.log = log
        argv = [sys.executable, "-m", "components.serve", "--model-uri", model_uri]
        argv += ["--host", "127.0.0.1", "--port", str(self.port)]
        self._metrics_dir = tempfile.mkdtemp(prefix="sluice-metrics-")
        env = {
            "MLFLOW_TRACKING_URI": tracking_uri,
            "SLUICE_SERVE_METRICS_DIR": self._metrics_dir,
            "PYTHONUNBUFFERED": "1",
        }
        self.proc = ManagedProcess(argv, log, env=env)
        self.started = time.monotonic()
        # polled until ready: one client, not a new one (and its ~55 ms TLS context) per `/ready` call
        self._http = httpx.Client(timeout=0.5)

    def poll(self) -> str:
        """`starting`, `ready` or `failed` (then `error` says why)."""
        if self.state == "ready" and not self.proc.alive():
            self.state, self.error = "failed", f"the model server exited (code {self.proc.proc.returncode})"
        if self.state != "starting":
            return self.state
        if not self.proc.alive():
            tail = self.log.read_text(errors="replace").strip().splitlines()[-3:] if self.log.exists() else []
            self.state = "failed"
            self.error = f"the model server for {self.model_uri} exited: {' | '.join(tail)[-400:]}"
            return self.state
        try:
            r = self._http.get(self.url + "/ready")
        except httpx.HTTPError:
            return self.state
        if r.status_code == 200:
            self.version = str(r.json().get("model_version", ""))
            self.state = "ready"
            self._http.close()
        return self.state

    def age(self) -> float:
        """Seconds since the process was started."""
        return time.monotonic() - self.started

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and remove its metrics files."""
        self.proc.stop(grace=10)
        self._http.close()
        shutil.rmtree(self._metrics_dir, ignore_errors=True)


def _name_version(model_uri: str, version: str) -> tuple[str, str] | None:
    parsed = ModelUri.parse(model_uri)
    if parsed is None:
        return None
    version = version or parsed.version
    return (parsed.name, version) if parsed.name and version else None


def _in_background(fn: Any, *args: Any) -> None:
    threading.Thread(target=fn, args=args, name="mlflow-bookkeeping", daemon=True).start()


def mark_champion(tracking_uri: str, model_uri: str, version: str, log: Path) -> None:
    """Set alias `champion` on the promoted version (in the background; failures are logged)."""
    found = _name_version(model_uri, version)
    if found and tracking_uri:
        _in_background(_set_alias, tracking_uri, found[0], found[1], log)


def mark_aborted(tracking_uri: str, model_uri: str, version: str, reason: str, log: Path) -> None:
    """Tag the aborted version `sluicegate.rollout=aborted` (champion stays where it is)."""
    found = _name_version(model_uri, version)
    if found and tracking_uri:
        _in_background(_set_tag, tracking_uri, found[0], found[1], reason, log)


def _set_alias(tracking_uri: str, name: str, version: str, log: Path) -> None:
    try:
        from mlflow import MlflowClient

        MlflowClient(tracking_uri, registry_uri=tracking_uri).set_registered_model_alias(name, "champion", version)
    except Exception as e:
        _log(log, f"cannot set alias champion on {name}/{version}: {e}")


def _set_tag(tracking_uri: str, name: str, version: str, reason: str, log: Path) -> None:
    try:
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
        client.set_model_version_tag(name, version, ABORTED_TAG, "aborted")
        client.set_model_version_tag(name, version, ABORTED_TAG + ".reason", reason[:500])
    except Exception as e:
        _log(log, f"cannot tag {name}/{version} aborted: {e}")


def _log(log: Path, line: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as f:
        f.write(line + "\n")
