"""The generic object API (`/api/v1/sluice/objects`) and the stack status route."""

from __future__ import annotations

NS = "sluicegate"


def _rollout(image: str = "v1") -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "breast-cancer", "labels": {"app": "bc"}},
        "spec": {"template": {"spec": {"containers": [{"name": "serve", "image": image}]}}},
    }


def test_object_apply_reports_created_configured_unchanged(api) -> None:
    url = f"/api/v1/sluice/objects/Rollout/{NS}"
    with api.client() as c:
        results = [c.post(url, json=_rollout("v1")).json()["result"] for _ in range(2)]
        results.append(c.post(url, json=_rollout("v2")).json()["result"])
        got = c.get(f"{url}/breast-cancer").json()
    assert results == ["created", "unchanged", "configured"]
    assert got["spec"]["template"]["spec"]["containers"][0]["image"] == "v2"
    assert got["metadata"]["namespace"] == NS


def test_object_apply_keeps_status_written_by_a_controller(api) -> None:
    url = f"/api/v1/sluice/objects/Rollout/{NS}"
    with api.client() as c:
        c.post(url, json=_rollout())

        def healthy(doc: dict) -> dict:
            doc["status"] = {"phase": "Healthy"}
            return doc

        api.store.mutate("Rollout", NS, "breast-cancer", healthy)
        c.post(url, json=_rollout("v3"))
        assert c.get(f"{url}/breast-cancer").json()["status"] == {"phase": "Healthy"}


def test_object_list_get_delete_and_404(api) -> None:
    with api.client() as c:
        c.post(f"/api/v1/sluice/objects/Service/{NS}", json={"kind": "Service", "metadata": {"name": "svc"}})
        listed = c.get(f"/api/v1/sluice/objects/Service/{NS}").json()["items"]
        everywhere = c.get("/api/v1/sluice/objects/Service").json()["items"]
        assert c.delete(f"/api/v1/sluice/objects/Service/{NS}/svc").status_code == 200
        missing = c.get(f"/api/v1/sluice/objects/Service/{NS}/svc")
    assert [i["metadata"]["name"] for i in listed] == ["svc"]
    assert [i["metadata"]["name"] for i in everywhere] == ["svc"]
    assert missing.status_code == 404


def test_object_apply_validates_argo_kinds(api) -> None:
    bad = {"kind": "WorkflowTemplate", "metadata": {"name": "t"}, "spec": {"templates": [{"name": 5}]}}
    with api.client() as c:
        resp = c.post(f"/api/v1/sluice/objects/WorkflowTemplate/{NS}", json=bad)
        mismatch = c.post(f"/api/v1/sluice/objects/Sensor/{NS}", json={"kind": "Rollout", "metadata": {"name": "x"}})
        unnamed = c.post(f"/api/v1/sluice/objects/Sensor/{NS}", json={"kind": "Sensor", "metadata": {}})
    assert resp.status_code == 400
    assert "spec.templates[0].name" in resp.json()["message"]
    assert mismatch.status_code == 400
    assert unnamed.status_code == 400


def test_object_apply_of_a_workflow_accepts_it_running(api) -> None:
    wf = {
        "kind": "Workflow",
        "metadata": {"generateName": "applied-"},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "alpine"}}]},
    }
    with api.client() as c:
        body = c.post(f"/api/v1/sluice/objects/Workflow/{NS}", json=wf).json()
    assert body["result"] == "created"
    assert body["object"]["status"]["phase"] == "Running"


def test_status_route_reports_parts(api) -> None:
    with api.client() as c:
        parts = c.get("/api/v1/sluice/status").json()["parts"]
    assert parts["api"]["healthy"] is True
    assert parts["api"]["url"] == api.url
