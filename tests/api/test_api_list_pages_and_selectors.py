"""Lists page with `limit` and `continue` and filter with field selectors, as Kubernetes lists do."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api


def _wf(name: str, created: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": "pages", "creationTimestamp": created},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "suspend": {}}]},
        "status": {"phase": "Succeeded"},
    }


def _seed(api: Api) -> list[str]:
    names = [f"wf-{i:02d}" for i in range(7)]
    for i, name in enumerate(names):
        if api.store.try_get("Workflow", "pages", name) is None:
            api.store.create(_wf(name, f"2026-11-{10 + i:02d}T00:00:00Z"))
    return list(reversed(names))  # newest first, as Argo lists workflows


def test_limit_and_continue_walk_every_workflow_once_newest_first(api: Api) -> None:
    expected = _seed(api)
    seen: list[str] = []
    token = ""
    with api.client() as http:
        for _ in range(10):
            params = {"listOptions.limit": "3", **({"listOptions.continue": token} if token else {})}
            body = http.get("/api/v1/workflows/pages", params=params).raise_for_status().json()
            seen += [w["metadata"]["name"] for w in body["items"]]
            token = body["metadata"].get("continue", "")
            if not token:
                break
            assert body["metadata"]["remainingItemCount"] == len(expected) - len(seen)
    assert seen == expected


def test_a_forged_continue_token_is_a_400(api: Api) -> None:
    _seed(api)
    with api.client() as http:
        r = http.get("/api/v1/workflows/pages", params={"listOptions.continue": "not-a-token!"})
    assert r.status_code == 400 and "continue key is not valid" in r.text


def test_field_selectors_on_name_and_the_rest_refused(api: Api) -> None:
    _seed(api)
    with api.client() as http:
        one = http.get("/api/v1/workflows/pages", params={"listOptions.fieldSelector": "metadata.name=wf-03"}).json()
        others = http.get(
            "/api/v1/workflows/pages", params={"listOptions.fieldSelector": "metadata.name!=wf-03"}
        ).json()
        bad = http.get("/api/v1/workflows/pages", params={"listOptions.fieldSelector": "status.phase=Running"})
    assert [w["metadata"]["name"] for w in one["items"]] == ["wf-03"]
    assert "wf-03" not in [w["metadata"]["name"] for w in others["items"]] and len(others["items"]) == 6
    assert bad.status_code == 400 and "field label not supported: status.phase" in bad.text


def test_pages_with_a_selector_leave_out_the_remaining_count_as_kubernetes(api: Api) -> None:
    _seed(api)
    with api.client() as http:
        params = {"listOptions.limit": "2", "listOptions.fieldSelector": "metadata.name!=wf-06"}
        body = http.get("/api/v1/workflows/pages", params=params).raise_for_status().json()
    assert [w["metadata"]["name"] for w in body["items"]] == ["wf-05", "wf-04"]
    assert body["metadata"]["continue"] and "remainingItemCount" not in body["metadata"]
