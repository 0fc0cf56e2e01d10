"""A Rollout applied after `sluice up` gets its service URL into endpoints.json through the supervisor.

A whole in-process stack (supervisor, API server, rollouts part; MLflow external and never called): the
rollouts part reports the new splitter with the supervisor's `publish`, which rewrites `endpoints.json` with
every other entry kept, as for EventSources.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

import rollouts as definitions
from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.rollouts import RolloutsPart
from sluicegate.stack import Stack
from sluicegate.stack._mlflow import MlflowPart
from tests.stack.conftest import poll

NS = "sluicegate"


def test_a_rollout_applied_after_start_reaches_endpoints_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home, api_port=0, mlflow_tracking_uri="http://127.0.0.1:9")
    with Stack(settings, parts=[MlflowPart(), ApiServer(), RolloutsPart()]) as stack:
        api, headers = stack.endpoints["api"], {"Authorization": f"Bearer {stack.token}"}

        def services() -> dict[str, str]:
            return dict(json.loads((home / "endpoints.json").read_text()).get("services") or {})

        assert services() == {}
        [rollout] = [d for d in definitions.manifests([definitions.ModelService("late")]) if d["kind"] == "Rollout"]
        applied = httpx.post(f"{api}/api/v1/sluice/objects/Rollout/{NS}", json=rollout, headers=headers, timeout=30)
        assert applied.status_code == 200, applied.text
        poll(lambda: "late" in services())
        assert services()["late"].startswith("http://127.0.0.1:")
        on_disk = json.loads((home / "endpoints.json").read_text())
        assert on_disk["api"] == api and on_disk["mlflow"] == "http://127.0.0.1:9"  # the rest kept
    assert not (home / "endpoints.json").exists()
