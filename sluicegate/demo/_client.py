"""A small client of the running local stack for the demo: workflows, objects, rollouts, MLflow aliases."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from sluicegate.config import Endpoints, Settings
from sluicegate.errors import ServiceError

__all__ = ["StackClient"]

T = TypeVar("T")
TERMINAL = ("Succeeded", "Failed", "Error")


class StackClient:
    """Reads the stack through its API (bearer token from SLUICE_HOME/token).

    Args:
        cfg: settings of the stack (home with `token`).
        endpoints: the stack's `endpoints.json`.
    """

    def __init__(self, cfg: Settings, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        token = cfg.token_file.read_text().strip()
        self._http = httpx.Client(base_url=endpoints.api, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def _get(self, path: str) -> Any:
        try:
            r = self._http.get(path)
        except httpx.HTTPError as e:
            raise ServiceError(
                f"the stack's API did not answer: {e}", where=self.endpoints.api, fix="`sluice status`"
            ) from e
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise ServiceError(f"HTTP {r.status_code}: {r.text[:200]}", where=f"GET {path}")
        return r.json()

    def workflows(self, namespace: str) -> list[dict[str, Any]]:
        """Workflows of a namespace (Argo's list call)."""
        body = self._get(f"/api/v1/workflows/{namespace}") or {}
        return list(body.get("items") or [])

    def workflow(self, namespace: str, name: str) -> dict[str, Any] | None:
        """One workflow, or None."""
        found: dict[str, Any] | None = self._get(f"/api/v1/workflows/{namespace}/{name}")
        return found

    def object(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """Any stored object (the stack's generic object API), or None."""
        found: dict[str, Any] | None = self._get(f"/api/v1/sluice/objects/{kind}/{namespace}/{name}")
        return found

    def objects(self, kind: str, namespace: str) -> list[dict[str, Any]]:
        """Stored objects of a kind."""
        body = self._get(f"/api/v1/sluice/objects/{kind}/{namespace}") or {}
        return list(body.get("items") or []) if isinstance(body, dict) else list(body)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 1.0) -> T:
    """Call `probe` until it returns something not None; ServiceError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise ServiceError(
                f"timed out after {timeout:.0f}s waiting for {what}", fix="look at `sluice status` and the UI"
            )
        time.sleep(interval)
