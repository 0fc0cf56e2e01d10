"""The few MLflow REST calls the relay makes (runs, model versions, webhooks), over httpx.

Called by the relay. REST rather than the mlflow client keeps the relay light and its errors explicit.
It signs in as MLflow's own clients do: `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD` (basic
auth; registry webhooks are an admin's business under MLflow's basic-auth app).
"""

from __future__ import annotations

import os
from typing import Any

import httpx

__all__ = ["MlflowError", "MlflowRest"]

_TERMINAL = ("FINISHED", "FAILED", "KILLED")


class MlflowError(RuntimeError):
    """MLflow answered with an error or could not be reached."""


class MlflowRest:
    """A small MLflow REST client.

    Args:
        uri: tracking URI (`http://host:port`).
        timeout: seconds per request.
        auth: (username, password); default from `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`.
    """

    def __init__(self, uri: str, timeout: float = 15.0, auth: tuple[str, str] | None = None) -> None:
        self.uri = uri.rstrip("/")
        user = os.environ.get("MLFLOW_TRACKING_USERNAME", "")
        auth = auth or ((user, os.environ.get("MLFLOW_TRACKING_PASSWORD", "")) if user else None)
        self._http = httpx.Client(base_url=self.uri + "/api/2.0/mlflow", timeout=timeout, auth=auth)

    def close(self) -> None:
        """Close connections."""
        self._http.close()

    def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            r = self._http.request(method, path, **kw)
        except httpx.HTTPError as e:
            raise MlflowError(f"{method} {self.uri}{path}: {type(e).__name__}: {e}") from e
        if r.status_code >= 400:
            raise MlflowError(f"{method} {self.uri}{path} answered {r.status_code}: {r.text[:300]}")
        body = r.json() if r.content else {}
        return body if isinstance(body, dict) else {}

    def experiment_ids(self) -> list[str]:
        """Every active experiment id."""
        out: list[str] = []
        token = None
        while True:
            body: dict[str, Any] = {"max_results": 1000, "view_type": "ACTIVE_ONLY"}
            if token:
                body["page_token"] = token
            page = self._call("POST", "/experiments/search", json=body)
            out += [str(e["experiment_id"]) for e in page.get("experiments") or []]
            token = page.get("next_page_token")
            if not token:
                return out

    def finished_runs(self, since_ms: int) -> list[dict[str, Any]]:
        """Runs in a terminal state with `end_time >= since_ms`, oldest first."""
        ids = self.experiment_ids()
        if not ids:
            return []
        # MLflow's filter grammar has no OR, so the terminal states are picked client-side
        runs: list[dict[str, Any]] = []
        token = None
        while True:
            body: dict[str, Any] = {
                "experiment_ids": ids,
                "filter": f"attributes.end_time >= {int(since_ms)}",
                "run_view_type": "ACTIVE_ONLY",
                "max_results": 1000,
                "order_by": ["attributes.end_time ASC"],
            }
            if token:
                body["page_token"] = token
            page = self._call("POST", "/runs/search", json=body)
            runs += [r for r in page.get("runs") or [] if r["info"].get("status") in _TERMINAL]
            token = page.get("next_page_token")
            if not token:
                return runs

    def run(self, run_id: str) -> dict[str, Any]:
        """One run (`info`, `data`)."""
        return dict(self._call("GET", "/runs/get", params={"run_id": run_id}).get("run") or {})

    def model_version(self, name: str, version: str) -> dict[str, Any]:
        """One model version."""
        body = self._call("GET", "/model-versions/get", params={"name": name, "version": version})
        return dict(body.get("model_version") or {})

    def versions_of_run(self, run_id: str) -> list[dict[str, Any]]:
        """Model versions registered from a run."""
        body = self._call("GET", "/model-versions/search", params={"filter": f"run_id = '{run_id}'"})
        return list(body.get("model_versions") or [])

    def ensure_webhook(self, name: str, url: str, secret: str) -> str:
        """Create (or re-point) the registry webhook `name` to `url` for model_version.created; its id."""
        hooks = self._call("GET", "/webhooks", params={"max_results": 1000}).get("webhooks") or []
        events = [{"entity": "MODEL_VERSION", "action": "CREATED"}]
        for hook in hooks:
            if hook.get("name") == name:
                self._call(
                    "PATCH",
                    f"/webhooks/{hook['webhook_id']}",
                    json={"url": url, "secret": secret, "events": events, "status": "ACTIVE"},
                )
                return str(hook["webhook_id"])
        created = self._call("POST", "/webhooks", json={"name": name, "url": url, "events": events, "secret": secret})
        return str((created.get("webhook") or {}).get("webhook_id", ""))
