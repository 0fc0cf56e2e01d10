"""The workflow watch stream (`/api/v1/workflow-events/{ns}`) in the Argo Server's NDJSON format."""

from __future__ import annotations

import json
import threading

NS = "sluicegate"


def _wf(name: str, labels: dict | None = None) -> dict:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "alpine"}}]},
    }


def _events(api, params: dict, until) -> list[tuple[str, str, str]]:
    """Read the stream until `until(events)` is true; (type, name, phase) per event."""
    seen: list[tuple[str, str, str]] = []
    with api.client() as c, c.stream("GET", f"/api/v1/workflow-events/{NS}", params=params, timeout=30) as resp:
        assert resp.status_code == 200
        for line in resp.iter_lines():
            if not line:
                continue
            result = json.loads(line)["result"]
            obj = result["object"]
            seen.append((result["type"], obj["metadata"]["name"], (obj.get("status") or {}).get("phase", "")))
            if until(seen):
                break
    return seen


def test_watch_sends_existing_then_changes_for_one_workflow(api) -> None:
    with api.client() as c:
        c.post(f"/api/v1/workflows/{NS}", json={"workflow": _wf("watched")})
        c.post(f"/api/v1/workflows/{NS}", json={"workflow": _wf("other")})

    def finish() -> None:
        def done(doc: dict) -> dict:
            doc["status"]["phase"] = "Succeeded"
            return doc

        api.store.mutate("Workflow", NS, "other", done)
        api.store.mutate("Workflow", NS, "watched", done)

    def finished_after_the_first_event(seen: list[tuple[str, str, str]]) -> bool:
        if len(seen) == 1:
            finish()  # the changes come once the stream has sent what exists (no race with a timer)
        return seen[-1][2] == "Succeeded"

    seen = _events(api, {"listOptions.fieldSelector": "metadata.name=watched"}, finished_after_the_first_event)
    assert seen[0] == ("ADDED", "watched", "Running")
    assert seen[-1] == ("MODIFIED", "watched", "Succeeded")
    assert {name for _, name, _ in seen} == {"watched"}


def test_watch_from_a_resource_version_sends_only_later_changes_and_deletes(api) -> None:
    with api.client() as c:  # its own workflow: under xdist the other tests may run in another worker
        c.post(f"/api/v1/workflows/{NS}", json={"workflow": _wf("deleted-later")})
        rv = c.get(f"/api/v1/workflows/{NS}").json()["metadata"]["resourceVersion"]
        threading.Timer(0.5, lambda: api.store.delete("Workflow", NS, "deleted-later")).start()
        seen = _events(api, {"listOptions.resourceVersion": rv}, lambda s: s[-1][0] == "DELETED")
    assert seen == [("DELETED", "deleted-later", "")]


def test_watch_with_timeout_ends_and_bad_selector_is_400(api) -> None:
    with api.client() as c:
        ended = c.get(
            f"/api/v1/workflow-events/{NS}",
            params={"listOptions.timeoutSeconds": "1", "listOptions.labelSelector": "none=here"},
        )
        bad = c.get(f"/api/v1/workflow-events/{NS}", params={"listOptions.fieldSelector": "status.phase=Running"})
    assert ended.status_code == 200 and ended.text == ""
    assert bad.status_code == 400 and "fieldSelector" in bad.json()["message"]
