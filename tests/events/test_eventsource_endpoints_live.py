"""EventSources applied after start are served and published; two that claim one port and path are reported."""

from __future__ import annotations

import copy
from typing import Any

from sluicegate.services import free_port
from tests.events.conftest import Runtime, wait_for


def _github(rt: Runtime) -> dict[str, Any]:
    return next(d for d in rt.store.list("EventSource") if "github" in (d.get("spec") or {}))


def _conditions(rt: Runtime, name: str) -> list[dict[str, Any]]:
    return (rt.store.get("EventSource", _github(rt)["metadata"]["namespace"], name).get("status") or {}).get(
        "conditions"
    ) or []


def test_a_second_eventsource_on_the_same_port_and_path_is_reported_not_served(runtime: Runtime) -> None:
    original = _github(runtime)
    copy_doc = copy.deepcopy(original)
    copy_doc["metadata"] = {"name": "github-copy", "namespace": original["metadata"]["namespace"]}
    copy_doc.pop("status", None)
    runtime.store.apply(copy_doc)

    problems = wait_for(lambda: [p for p in runtime.part.status()["problems"] if "github-copy" in p], what="problem")
    assert "already serves" in problems[0] and f"EventSource/{original['metadata']['name']}" in problems[0]
    condition = wait_for(lambda: _conditions(runtime, "github-copy"), what="condition")[0]
    assert (condition["type"], condition["status"], condition["reason"]) == ("Deployed", "False", "PortPathConflict")
    assert not any("github-copy" in key for key in runtime.part.urls())

    runtime.store.delete("EventSource", original["metadata"]["namespace"], "github-copy")
    wait_for(lambda: not any("github-copy" in p for p in runtime.part.status()["problems"]), what="problem gone")


def test_eventsources_applied_or_deleted_after_start_reach_endpoints(runtime: Runtime) -> None:
    published: list[dict[str, Any]] = []
    runtime.ctx.publish = published.append
    ns = _github(runtime)["metadata"]["namespace"]
    runtime.store.apply(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "EventSource",
            "metadata": {"name": "late-hook", "namespace": ns},
            "spec": {"webhook": {"ping": {"port": str(free_port()), "endpoint": "/ping", "method": "POST"}}},
        }
    )
    wait_for(lambda: published and "late-hook" in published[-1]["eventsources"], what="published URL")
    assert published[-1]["eventsources"]["late-hook"].endswith("/ping")
    runtime.store.delete("EventSource", ns, "late-hook")
    wait_for(lambda: "late-hook" not in published[-1]["eventsources"], what="URL withdrawn")
