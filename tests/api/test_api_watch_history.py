"""A workflow watch from a resourceVersion older than the store's history: 410 Gone, then the client re-lists."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sluicegate.api._watch import _Watch
from sluicegate.store import Store
from tests.api.conftest import Api, served

NS = "sluicegate"


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """An API over a store that keeps only 10 changes."""
    home = tmp_path_factory.mktemp("short-history")
    with served(Store(home / "store.db", history=10), home, "test-token-456") as api:
        yield api


def _wf(name: str) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "alpine"}}]},
    }


def _churn(api: Api, name: str, times: int) -> None:
    for i in range(times):
        api.store.mutate(
            "Workflow", NS, name, lambda d, i=i: {**d, "metadata": {**d["metadata"], "labels": {"n": str(i)}}}
        )


def test_watch_behind_the_history_is_410_and_a_relist_gives_a_version_to_watch_from(short: Api) -> None:
    with short.client() as c:
        c.post(f"/api/v1/workflows/{NS}", json={"workflow": _wf("churned")})
        stale = c.get(f"/api/v1/workflows/{NS}").json()["metadata"]["resourceVersion"]
        _churn(short, "churned", 30)
        gone = c.get(f"/api/v1/workflow-events/{NS}", params={"listOptions.resourceVersion": stale})
        assert gone.status_code == 410
        assert f"too old resource version: {stale}" in gone.json()["message"]
        listed = c.get(f"/api/v1/workflows/{NS}").json()
        fresh = listed["metadata"]["resourceVersion"]
        assert listed["items"][0]["metadata"]["labels"] == {"n": "29"}
        short.store.delete("Workflow", NS, "churned")
        params = {"listOptions.resourceVersion": fresh}
        with c.stream("GET", f"/api/v1/workflow-events/{NS}", params=params, timeout=30) as resp:
            assert resp.status_code == 200
            first = json.loads(next(line for line in resp.iter_lines() if line))["result"]
    assert (first["type"], first["object"]["metadata"]["name"]) == ("DELETED", "churned")


def test_watch_that_falls_behind_the_history_ends_with_an_expired_error_event(short: Api) -> None:
    short.store.create({"kind": "Workflow", "metadata": {"name": "slow", "namespace": NS}, "spec": {}})
    watch = _Watch(short.store, NS, lambda d: True, lambda d: True, short.store.head())
    _churn(short, "slow", 30)
    lines = watch.next()
    assert watch.expired
    event = json.loads(lines[-1])["result"]
    assert event["type"] == "ERROR"
    assert {k: event["object"][k] for k in ("kind", "code", "reason")} == {
        "kind": "Status",
        "code": 410,
        "reason": "Expired",
    }
