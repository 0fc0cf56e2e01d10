"""Model helpers shared by the serving and rollout tests: save/register real MLflow models, run servers."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from components.train import FaultyModel
from sluicegate.services import free_port, wait_http
from sluicegate.services._process import _children
from tests.conftest import mlflow_pointed_at

ROOT = Path(__file__).resolve().parents[2]

#: The models' pip requirements, pinned to this interpreter's versions as the built-in trainer pins them:
#: left to MLflow, each save would load the model again in a subprocess to infer them (~9 s of CPU).
REQUIREMENTS = [f"{n}=={version(n)}" for n in ("mlflow", "scikit-learn", "cloudpickle", "pandas", "numpy")]
#: A model of Sluicegate's own code (FaultyModel) also pins sluicegate, as MLflow's inference finds it (its
#: `components` package): the model server then runs it in its own interpreter instead of an environment.
OWN_CODE_REQUIREMENTS = [*REQUIREMENTS, f"sluicegate=={version('sluicegate')}"]


def breast_cancer() -> tuple[Any, Any]:
    return load_breast_cancer(return_X_y=True, as_frame=True)


def fit(c: float = 1.0) -> Any:
    X, y = breast_cancer()
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000)).fit(X, y)


def save_sklearn(path: Path, c: float = 1.0) -> Path:
    X, _ = breast_cancer()
    model = fit(c)
    signature = infer_signature(X, model.predict(X))
    mlflow.sklearn.save_model(model, str(path), signature=signature, pip_requirements=REQUIREMENTS)
    return path


def register(tracking_uri: str, name: str, c: float = 1.0, error_rate: float = 0.0) -> str:
    """Log and register one version; returns its version string (MLflow's globals stay as they were)."""
    X, _ = breast_cancer()
    model = fit(c)
    signature = infer_signature(X, model.predict(X))
    with mlflow_pointed_at(tracking_uri, f"test-{name}"), mlflow.start_run():
        if error_rate:
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=FaultyModel(model, error_rate),
                signature=signature,
                registered_model_name=name,
                pip_requirements=OWN_CODE_REQUIREMENTS,
            )
        else:
            info = mlflow.sklearn.log_model(
                model, name="model", signature=signature, registered_model_name=name, pip_requirements=REQUIREMENTS
            )
    return str(info.registered_model_version)


class Server:
    """`python -m components.serve` as a real subprocess on a free port."""

    def __init__(
        self,
        model_uri: str,
        log: Path,
        tracking_uri: str = "",
        workers: int = 1,
        home: Path | None = None,
        mlflow: bool = False,
        env_manager: str = "",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if mlflow:  # the real `mlflow models serve` (uvicorn must be on PATH, as MLflow runs it by name)
            argv = [str(Path(sys.executable).parent / "mlflow"), "models", "serve", "-m", model_uri]
            argv += ["--env-manager", "local", "-h", "127.0.0.1", "-p", str(self.port), "-w", str(workers)]
        else:
            argv = [sys.executable, "-m", "components.serve", "--model-uri", model_uri, "--port", str(self.port)]
            argv += ["--workers", str(workers)]
            argv += ["--env-manager", env_manager] if env_manager else []
        if tracking_uri:
            argv += ["--tracking-uri", tracking_uri]
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        if home is not None:
            env["SLUICE_HOME"] = str(home)
        self._log = log
        self._ready = "/ping" if mlflow else "/ready"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)

    def __enter__(self) -> Server:
        try:
            wait_http(self.url + self._ready, 600, self.proc, self._log)  # any worker answering is ready
        except Exception:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def post(self, body: Any, content_type: str = "application/json") -> httpx.Response:
        data = body if isinstance(body, bytes) else __import__("json").dumps(body).encode()
        return httpx.post(self.url + "/invocations", content=data, headers={"content-type": content_type}, timeout=30)

    def workers(self) -> list[str]:
        """The command lines of the server's worker processes, and the server's own last (Linux: from /proc)."""

        def cmdline(pid: int) -> str:
            try:
                return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except OSError:
                return ""  # a process that ended meanwhile

        lines = [cmdline(pid) for pid in _children(self.proc.pid)]
        return [*sorted(line for line in lines if line and "resource_tracker" not in line), cmdline(self.proc.pid)]
