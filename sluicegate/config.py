"""Settings of the local stack and the CLI, read from the environment.

Called by the CLI and every part of the embedded stack. `SLUICE_HOME` (default `./.sluice`) holds all
state: the object store, step logs, artifacts, secrets, `endpoints.json` and the API `token`. The built
environments of model projects are not state of one stack: they are shared by every stack of the machine
(`SLUICE_ENVS_DIR`, default `envs` in Sluicegate's cache folder; `contract.envs_dir`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contract import components_image, envs_dir
from sluicegate.errors import ConfigError, ServiceError

__all__ = ["Endpoints", "Settings", "components_image", "load_endpoints", "settings"]


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a port number", where=name, fix="set it to 1-65535") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"{port} is out of range", where=name, fix="set it to 1-65535 (0 picks a free port)")
    return port


class Settings(BaseModel):
    """Where the stack keeps its state and which ports it binds (all on 127.0.0.1)."""

    model_config = ConfigDict(frozen=True)

    home: Path
    host: str = "127.0.0.1"
    api_port: int = 2746
    mlflow_port: int = 5000
    mlflow_tracking_uri: str | None = None  # use an existing MLflow instead of starting one
    #: Built environments (immutable, named by their spec's hash), shared by every stack of the machine.
    envs_dir: Path = Field(default_factory=envs_dir)

    @property
    def endpoints_file(self) -> Path:
        """`endpoints.json`: URLs of every running part."""
        return self.home / "endpoints.json"

    @property
    def token_file(self) -> Path:
        """`token`: the API's bearer token."""
        return self.home / "token"

    @property
    def store_file(self) -> Path:
        """The SQLite object store."""
        return self.home / "store.db"


def settings() -> Settings:
    """Settings from the environment (`SLUICE_HOME`, `SLUICE_API_PORT`, `SLUICE_MLFLOW_PORT`, `SLUICE_ENVS_DIR`...)."""
    home = Path(os.environ.get("SLUICE_HOME", ".sluice")).absolute()
    return Settings(
        home=home,
        api_port=_port("SLUICE_API_PORT", 2746),
        mlflow_port=_port("SLUICE_MLFLOW_PORT", 5000),
        mlflow_tracking_uri=os.environ.get("SLUICE_MLFLOW_TRACKING_URI") or None,
        envs_dir=envs_dir(),
    )


class Endpoints(BaseModel):
    """The content of `endpoints.json`; parts of the stack add their keys."""

    model_config = ConfigDict(extra="allow")

    api: str
    mlflow: str
    eventsources: dict[str, str] = {}
    services: dict[str, str] = {}
    prometheus: str | None = None

    def extra(self) -> dict[str, Any]:
        """Keys added by later parts that this model does not name."""
        return dict(self.model_extra or {})


def load_endpoints(cfg: Settings | None = None) -> Endpoints:
    """Read `endpoints.json` of a running stack, or say how to start one."""
    cfg = cfg or settings()
    try:
        return Endpoints.model_validate(json.loads(cfg.endpoints_file.read_text()))
    except FileNotFoundError:
        raise ServiceError(
            "no local stack is running",
            where=str(cfg.endpoints_file),
            fix="start one with `sluice up --detach`",
        ) from None
    except ValueError as e:
        raise ServiceError(
            f"unreadable: {e}", where=str(cfg.endpoints_file), fix="run `sluice down` then `sluice up`"
        ) from e
