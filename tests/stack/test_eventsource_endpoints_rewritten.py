"""EventSources applied or deleted through the API after `sluice up` reach endpoints.json and the status route.

A whole in-process stack (supervisor, API server, events part; MLflow external and never called), so the
events part's publish goes through the supervisor's real rewrite of `endpoints.json`, not a stub. Two
EventSources on one port and path: the first by name is served, the other reported; deleting the first
hands the endpoint to the other, which then appears in `endpoints.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.eventing import EventsPart
from sluicegate.services import free_port
from sluicegate.stack import Stack
from sluicegate.stack._mlflow import MlflowPart
from tests.stack.conftest import poll

NS = "sluicegate"


def _hook(name: str, port: int) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "EventSource",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"webhook": {"ping": {"port": str(port), "endpoint": "/ping", "method": "POST"}}},
    }


def test_urls_follow_eventsources_applied_and_deleted_after_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home, api_port=0, mlflow_tracking_uri="http://127.0.0.1:9")
    parts = [MlflowPart(), ApiServer(), EventsPart(port_map={}, relay=False)]
    with Stack(settings, parts=parts) as stack:
        api, headers = stack.endpoints["api"], {"Authorization": f"Bearer {stack.token}"}
        objects = f"{api}/api/v1/sluice/objects/EventSource/{NS}"

        def written() -> dict[str, str]:
            return dict(json.loads((home / "endpoints.json").read_text()).get("eventsources") or {})

        def status() -> dict[str, Any]:
            got = httpx.get(f"{api}/api/v1/sluice/status", headers=headers, timeout=30)
            assert got.status_code == 200, got.text
            return dict(got.json()["parts"]["events"])

        assert written() == {} and status()["eventsources"] == {}
        port = free_port()
        url = f"http://127.0.0.1:{port}/ping"
        for name in ("hook-a", "hook-b"):  # same port and path: hook-a keeps it
            applied = httpx.post(objects, json=_hook(name, port), headers=headers, timeout=30)
            assert applied.status_code == 200, applied.text

        poll(lambda: written() == {"hook-a": url} and any("EventSource/hook-b" in p for p in status()["problems"]))
        assert status()["eventsources"] == {"hook-a": url}
        assert httpx.post(url, json={"n": 1}, timeout=30).status_code == 200  # the written URL serves

        deleted = httpx.delete(f"{objects}/hook-a", headers=headers, timeout=30)
        assert deleted.status_code == 200, deleted.text
        poll(lambda: written() == {"hook-b": url})
        assert status()["eventsources"] == {"hook-b": url} and status()["problems"] == []
        on_disk = json.loads((home / "endpoints.json").read_text())
        assert on_disk["api"] == api and on_disk["mlflow"] == "http://127.0.0.1:9"  # the rest kept

        assert httpx.delete(f"{objects}/hook-b", headers=headers, timeout=30).status_code == 200
        poll(lambda: written() == {} and status()["eventsources"] == {})
    assert not (home / "endpoints.json").exists()
