"""Credentials of the local MLflow's basic-auth app, generated once per home and kept with mode 0600.

Called by `MlflowServer` (which starts `mlflow server --app-name basic-auth` with them), by the `mlflow`
stack part (which hands them to steps as the Secret `mlflow-auth`) and by `sluice status`/the UI (which
say where they are). MLflow ships no default admin password: its auth app creates the admin user from
`MLFLOW_AUTH_ADMIN_PASSWORD` the first time it starts on an empty user database, and every server worker
needs the same `MLFLOW_FLASK_SERVER_SECRET_KEY` for its CSRF tokens.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CREDENTIALS_FILE", "MlflowCredentials", "load_or_create"]

#: The file (in the MLflow server's folder) holding the admin user, its password and the Flask key.
CREDENTIALS_FILE = "credentials.json"
_ADMIN = "admin"


@dataclass(frozen=True)
class MlflowCredentials:
    """The admin user of a local MLflow and the server's Flask secret key."""

    username: str
    password: str
    flask_secret: str
    path: Path

    def client_env(self) -> dict[str, str]:
        """What an MLflow client reads (`MLFLOW_TRACKING_USERNAME` / `_PASSWORD`)."""
        return {"MLFLOW_TRACKING_USERNAME": self.username, "MLFLOW_TRACKING_PASSWORD": self.password}


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    os.chmod(path, 0o600)


def load_or_create(folder: Path) -> MlflowCredentials:
    """The credentials in `folder/credentials.json`, generated (random) the first time."""
    path = folder / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text())
        return MlflowCredentials(str(data["username"]), str(data["password"]), str(data["flask_secret"]), path)
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        pass
    creds = MlflowCredentials(_ADMIN, secrets.token_urlsafe(24), secrets.token_hex(32), path)
    body = {"username": creds.username, "password": creds.password, "flask_secret": creds.flask_secret}
    _write_private(path, json.dumps(body, indent=1) + "\n")
    return creds
