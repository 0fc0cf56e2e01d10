"""Prometheus cannot be stopped or reloaded from a web page, sends no wildcard CORS, and comes back if it dies."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from sluicegate.config import Settings
from sluicegate.part import StackContext
from sluicegate.rollouts._prometheus import PrometheusPart, find_prometheus
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

pytestmark = pytest.mark.skipif(find_prometheus() is None, reason="needs Debian's prometheus (make system)")


def test_prometheus_refuses_lifecycle_calls_and_foreign_origins_and_is_restarted(tmp_path: Path) -> None:
    ctx = StackContext(Settings(home=tmp_path), Store(tmp_path / "s.db"), SecretStore(tmp_path), "t")
    part = PrometheusPart(watch_interval=0.2)
    url = part.start(ctx)["prometheus"]
    try:
        evil = {"Origin": "http://evil.example"}
        assert httpx.post(url + "/-/quit", headers=evil, timeout=10).status_code >= 400
        assert httpx.post(url + "/-/reload", headers=evil, timeout=10).status_code >= 400
        query = httpx.get(url + "/api/v1/query", params={"query": "up"}, headers=evil, timeout=10)
        assert query.headers.get("access-control-allow-origin") in (None, "")
        assert part.status()["healthy"] and "restarts" not in part.status()

        os.kill(part.pids()[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and part.status().get("restarts") != 1:
            time.sleep(0.2)
        status = part.status()
        assert status["restarts"] == 1 and status["lastExitCode"] == -signal.SIGKILL
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/-/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert httpx.get(url + "/-/ready", timeout=5).status_code == 200  # same URL as before
        part.reload()  # SIGHUP: still serving afterwards
        assert part.status()["healthy"]
    finally:
        part.stop()
    assert part.pids() == []
