"""A real `mlflow server` on 127.0.0.1 with a SQLite backend and artifacts in a local folder.

Used by `sluice up` and by the tests. The webhook settings let MLflow deliver registry webhooks to
our relay on loopback (see docs/compatibility.md): http scheme allowed, private IPs allowed, and a fixed
Fernet key so every server worker can decrypt webhook secrets. With `auth=True` it runs MLflow's own
basic-auth app (`--app-name basic-auth`): every request but `/health` needs the admin user generated into
`<home>/credentials.json` (mode 0600), its user database is `<home>/basic_auth.db`, anyone else reads
nothing (`default_permission = NO_PERMISSIONS`). A new home's `mlflow.db` starts as a copy of the cached,
already migrated schema (`_mlflow_schema`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sys
from pathlib import Path

from sluicegate.errors import ServiceError
from sluicegate.services._mlflow_auth import MlflowCredentials, load_or_create
from sluicegate.services._mlflow_schema import seed_database
from sluicegate.services._process import ManagedProcess, PortTakenError, free_port, wait_http

__all__ = ["AUTH_CACHE_SECONDS", "MlflowServer"]

#: How long MLflow's auth app trusts a checked user and password before hashing the password again.
AUTH_CACHE_SECONDS = 60


def _fernet_key(home: Path) -> str:
    """A Fernet key derived from a per-home random seed, stable across restarts."""
    seed_file = home / "mlflow-webhook.key"
    if not seed_file.exists():
        import secrets

        seed_file.write_bytes(secrets.token_bytes(32))
        seed_file.chmod(0o600)
    return base64.urlsafe_b64encode(hashlib.sha256(seed_file.read_bytes()).digest()).decode()


class MlflowServer:
    """Start and stop a real MLflow tracking server.

    Args:
        home: folder for `mlflow.db` and `artifacts/`.
        port: TCP port (0 picks a free one).
        workers: uvicorn workers.
        auth: run MLflow's basic-auth app with generated credentials (`credentials`).
    """

    def __init__(self, home: Path, port: int = 0, workers: int = 1, auth: bool = False) -> None:
        self.home = home.absolute()
        self._pick_port = port == 0
        self.port = port or free_port()
        self.workers = workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.credentials: MlflowCredentials | None = load_or_create(self.home) if auth else None
        self._proc: ManagedProcess | None = None

    def _auth_env(self) -> dict[str, str]:
        """The auth app's settings: its config file, the admin password, the Flask key."""
        creds = self.credentials
        if creds is None:
            return {}
        ini = self.home / "basic_auth.ini"
        ini.write_text(
            "[mlflow]\n"
            "default_permission = NO_PERMISSIONS\n"
            f"database_uri = sqlite:///{self.home / 'basic_auth.db'}\n"
            f"admin_username = {creds.username}\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
            # MLflow's own credential cache (off by default): without it every request pays a scrypt/PBKDF2
            # check of the password, which kept an idle stack's MLflow at ~0.3 CPU-s per second (the
            # relay's polls alone). One worker, so a password changed through MLflow's API applies at once.
            f"auth_cache_ttl_seconds = {AUTH_CACHE_SECONDS}\n"
        )
        return {
            "MLFLOW_AUTH_CONFIG_PATH": str(ini),
            "MLFLOW_AUTH_ADMIN_PASSWORD": creds.password,  # read only while the user database is empty
            "MLFLOW_FLASK_SERVER_SECRET_KEY": creds.flask_secret,
        }

    def start(self, timeout: float = 120.0) -> str:
        """Start the server and wait until `/health` answers; returns the tracking URI.

        With a port picked here (port 0), a port another process took between the pick and the bind is
        given up for a fresh one (up to three times); a port the caller chose is not.
        """
        tries = 3 if self._pick_port else 1
        while True:
            try:
                return self._start_once(timeout)
            except PortTakenError:
                tries -= 1
                if tries == 0:
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"

    def _start_once(self, timeout: float) -> str:
        self.home.mkdir(parents=True, exist_ok=True)
        exe = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or shutil.which("mlflow")
        if exe is None:
            raise ServiceError("the `mlflow` command is not installed", fix="run `make install`")
        db = self.home / "mlflow.db"
        seed_database(db, exe)  # a new home starts from MLflow's migrated schema instead of migrating itself
        argv = [
            exe, "server",
            "--backend-store-uri", f"sqlite:///{db}",
            "--artifacts-destination", str(self.home / "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers),
            *(["--app-name", "basic-auth"] if self.credentials else []),
        ]  # fmt: skip
        env = {
            "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
            "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
            "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": _fernet_key(self.home),
            "MLFLOW_WEBHOOK_CACHE_TTL": "1",
            # MLflow's job runner (huey consumers for GenAI jobs) adds ~10 processes and ~1.5 GB per server;
            # nothing in Sluicegate submits MLflow jobs.
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            "MLFLOW_DISABLE_TELEMETRY": os.environ.get("MLFLOW_DISABLE_TELEMETRY", "true"),  # the stack runs offline
            **self._auth_env(),
        }
        self._proc = ManagedProcess(argv, self.home / "mlflow.log", env=env, cwd=self.home)
        try:
            wait_http(f"{self.url}/health", timeout, self._proc.proc, self._proc.log)
        except BaseException:
            self.stop()  # a server that never answered must not outlive the failed start
            raise
        return self.url

    @property
    def process(self) -> ManagedProcess | None:
        """The running `mlflow server` process (None before start and after stop)."""
        return self._proc

    @property
    def pid(self) -> int | None:
        """The server's pid, when started."""
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        """Stop the server and its workers."""
        if self._proc is not None:
            self._proc.stop(launcher=True)  # `mlflow server` runs uvicorn: done once uvicorn has exited
            self._proc = None
