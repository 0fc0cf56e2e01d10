"""The stack's Prometheus scrapes the workflows' custom metrics from the API, with the stack's token."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.engine import WorkflowController
from sluicegate.rollouts._prometheus import PrometheusPart, find_prometheus
from sluicegate.secrets import SecretStore
from sluicegate.stack import StackContext
from sluicegate.store import Store
from tests.engine.conftest import sh, workflow

pytestmark = pytest.mark.skipif(find_prometheus() is None, reason="needs Debian's prometheus (make system)")


def test_prometheus_scrapes_a_workflow_counter_and_anonymous_reads_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    ctx = StackContext(Settings(home=tmp_path, api_port=0), store, SecretStore(tmp_path), token="metrics-token-1")
    ctx.settings.token_file.write_text(ctx.token)
    api, controller, prometheus = ApiServer(), WorkflowController(), PrometheusPart()
    api.attach([controller])
    try:
        ctx.endpoints["api"] = api.start(ctx)["api"]
        controller.start(ctx)
        prom = prometheus.start(ctx)["prometheus"]
        doc = workflow("main", sh("main", "true"))
        doc["spec"]["metrics"] = {"prometheus": [{"name": "scraped_runs", "help": "runs", "counter": {"value": "1"}}]}
        store.create({**doc, "kind": "Workflow", "metadata": {"name": "scraped", "namespace": "argo"}})
        value = None
        deadline = time.monotonic() + 90
        while value is None and time.monotonic() < deadline:
            answer = httpx.get(f"{prom}/api/v1/query", params={"query": "argo_workflows_scraped_runs"}).json()
            results = answer["data"]["result"]
            value = float(results[0]["value"][1]) if results else None
            time.sleep(0.5)
        assert value == 1.0
        anonymous = httpx.get(ctx.endpoints["api"] + "/api/v1/sluice/metrics")
        assert anonymous.status_code == 401
    finally:
        prometheus.stop()
        controller.stop()
        api.stop()
        store.close()
