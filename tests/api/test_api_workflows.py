"""Workflows through Hera's client without a controller: accept (Running, durable), list, get, delete, errors."""

from __future__ import annotations

import pytest
from hera.exceptions import BadRequest, NotFound
from hera.workflows import Container, Steps, Workflow, WorkflowsService
from hera.workflows.models import WorkflowCreateRequest, WorkflowTemplateRef

from sluicegate.store import Store

NS = "sluicegate"


def _workflow(api, namespace: str = NS, **kwargs) -> Workflow:
    svc = WorkflowsService(host=api.url, token=api.token, namespace=namespace)
    with Workflow(generate_name="hello-", namespace=namespace, entrypoint="main", workflows_service=svc, **kwargs) as w:
        echo = Container(name="echo", image="alpine:3.20", command=["echo", "hi"])
        with Steps(name="main"):
            echo()
    return w


def test_workflow_create_is_running_named_and_durable(api) -> None:
    created = _workflow(api).create()
    name = created.metadata.name
    assert name.startswith("hello-") and len(name) == len("hello-") + 5
    assert created.status.phase == "Running"
    assert created.status.started_at is not None
    reopened = Store(api.store.path)  # another connection: the write is committed
    try:
        assert reopened.get("Workflow", NS, name)["status"]["phase"] == "Running"
    finally:
        reopened.close()


def test_workflow_get_list_delete_with_hera(api) -> None:
    w = _workflow(api)
    name = w.create().metadata.name
    svc = w.workflows_service
    assert svc.get_workflow(name).spec.entrypoint == "main"
    assert name in [i.metadata.name for i in svc.list_workflows().items]
    svc.delete_workflow(name)
    with pytest.raises(NotFound):
        svc.get_workflow(name)


def test_workflow_list_with_empty_namespace_lists_every_namespace(api) -> None:
    a = _workflow(api, namespace="team-a").create().metadata.name
    b = _workflow(api, namespace="team-b").create().metadata.name
    with api.client() as c:
        everything = c.get("/api/v1/workflows/").json()["items"]
        only_a = c.get("/api/v1/workflows/team-a").json()["items"]
    names = {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everything}
    assert {("team-a", a), ("team-b", b)} <= names
    assert {i["metadata"]["name"] for i in only_a} == {a}


def test_workflow_list_is_newest_first_and_filters_labels(api) -> None:
    first = _workflow(api, labels={"run": "x"}).create().metadata.name
    svc = WorkflowsService(host=api.url, token=api.token, namespace=NS)
    hits = svc.list_workflows(label_selector="run=x").items
    assert [i.metadata.name for i in hits] == [first]
    assert svc.list_workflows(label_selector="run=y").items in (None, [])


def test_workflow_namespace_comes_from_the_url(api) -> None:
    doc = _workflow(api, namespace="elsewhere").to_dict()
    with api.client() as c:
        resp = c.post(f"/api/v1/workflows/{NS}", json={"workflow": doc})
    assert resp.status_code == 200
    assert resp.json()["metadata"]["namespace"] == NS


def test_workflow_missing_template_ref_is_400_and_nothing_stored(api) -> None:
    svc = WorkflowsService(host=api.url, token=api.token, namespace=NS)
    w = Workflow(
        generate_name="ref-",
        namespace=NS,
        workflow_template_ref=WorkflowTemplateRef(name="absent"),
        workflows_service=svc,
    )
    before = len(api.store.list("Workflow", NS))
    with pytest.raises(BadRequest, match=r"spec\.workflowTemplateRef\.name"):
        w.create()
    assert len(api.store.list("Workflow", NS)) == before


def test_workflow_without_entrypoint_is_400(api) -> None:
    doc = _workflow(api).to_dict()
    del doc["spec"]["entrypoint"]
    with api.client() as c:
        resp = c.post(f"/api/v1/workflows/{NS}", json={"workflow": doc})
    assert resp.status_code == 400
    assert "spec.entrypoint" in resp.json()["message"]


def test_workflow_server_dry_run_stores_nothing(api) -> None:
    w = _workflow(api)
    before = len(api.store.list("Workflow", NS))
    resp = w.workflows_service.create_workflow(WorkflowCreateRequest(workflow=w.build(), server_dry_run=True))
    assert resp.spec.entrypoint == "main"
    assert len(api.store.list("Workflow", NS)) == before


def test_workflow_lint_with_hera(api) -> None:
    w = _workflow(api)
    assert w.lint().spec.entrypoint == "main"


def test_workflow_action_on_missing_workflow_is_404(api) -> None:
    with api.client() as c:
        resp = c.put(f"/api/v1/workflows/{NS}/ghost/stop", json={})
    assert resp.status_code == 404
    assert resp.json()["code"] == 5


def test_suspend_of_a_completed_workflow_is_refused_and_changes_nothing(api) -> None:
    done = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "finished", "namespace": NS},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "suspend": {}}]},
        "status": {"phase": "Succeeded"},
    }
    api.store.create(done)
    with api.client() as c:
        resp = c.put(f"/api/v1/workflows/{NS}/finished/suspend", json={})
    assert resp.status_code == 409
    assert "cannot suspend completed workflows" in resp.json()["message"]
    assert "suspend" not in api.store.get("Workflow", NS, "finished")["spec"]


def test_submit_unknown_resource_kind_is_400(api) -> None:
    with api.client() as c:
        resp = c.post(f"/api/v1/workflows/{NS}/submit", json={"resourceKind": "Pod", "resourceName": "x"})
    assert resp.status_code == 400
    assert "resourceKind" in resp.json()["message"]


def test_submit_missing_template_is_404(api) -> None:
    with api.client() as c:
        resp = c.post(f"/api/v1/workflows/{NS}/submit", json={"resourceKind": "WorkflowTemplate", "resourceName": "x"})
    assert resp.status_code == 404


def _spec() -> dict:
    return {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "msg", "value": "default"}]},
        "templates": [{"name": "main", "container": {"image": "alpine:3.20", "command": ["echo"]}}],
    }


def test_submit_from_cron_workflow_labels_and_overrides_parameters(api) -> None:
    cron = {"metadata": {"name": "hourly"}, "spec": {"schedules": ["0 * * * *"], "workflowSpec": _spec()}}
    with api.client() as c:
        assert c.post(f"/api/v1/cron-workflows/{NS}", json={"cronWorkflow": cron}).status_code == 200
        resp = c.post(
            f"/api/v1/workflows/{NS}/submit",
            json={"resourceKind": "cronwf", "resourceName": "hourly", "submitOptions": {"parameters": ["msg=now"]}},
        )
    wf = resp.json()
    assert resp.status_code == 200, resp.text
    assert wf["metadata"]["name"].startswith("hourly-")
    assert wf["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "hourly"
    assert wf["spec"]["arguments"]["parameters"] == [{"name": "msg", "value": "now"}]
    assert wf["status"]["phase"] == "Running"


def test_submit_from_cron_workflow_applies_every_submit_option(api) -> None:
    cron = {"metadata": {"name": "nightly"}, "spec": {"schedules": ["0 2 * * *"], "workflowSpec": _spec()}}
    opts = {
        "name": "nightly-by-hand",
        "entryPoint": "main",
        "serviceAccount": "trainer",
        "labels": "team=ml,run=manual",
        "annotations": "why=backfill",
    }
    with api.client() as c:
        assert c.post(f"/api/v1/cron-workflows/{NS}", json={"cronWorkflow": cron}).status_code == 200
        resp = c.post(
            f"/api/v1/workflows/{NS}/submit",
            json={"resourceKind": "CronWorkflow", "resourceName": "nightly", "submitOptions": opts},
        )
    wf = resp.json()
    assert resp.status_code == 200, resp.text
    assert wf["metadata"]["name"] == "nightly-by-hand"
    labels = wf["metadata"]["labels"]
    assert (labels["team"], labels["run"], labels["workflows.argoproj.io/cron-workflow"]) == ("ml", "manual", "nightly")
    assert wf["metadata"]["annotations"]["why"] == "backfill"
    assert (wf["spec"]["entrypoint"], wf["spec"]["serviceAccountName"]) == ("main", "trainer")


def test_submit_from_cluster_template_refers_to_it_cluster_scoped(api) -> None:
    template = {"metadata": {"name": "shared-tmpl"}, "spec": _spec()}
    with api.client() as c:
        assert c.post("/api/v1/cluster-workflow-templates", json={"template": template}).status_code == 200
        resp = c.post(
            f"/api/v1/workflows/{NS}/submit",
            json={"resourceKind": "ClusterWorkflowTemplate", "resourceName": "shared-tmpl"},
        )
        dry = c.post(
            f"/api/v1/workflows/{NS}/submit",
            json={"resourceKind": "cwftmpl", "resourceName": "shared-tmpl", "submitOptions": {"dryRun": True}},
        )
    assert resp.status_code == 200, resp.text
    assert resp.json()["spec"]["workflowTemplateRef"] == {"name": "shared-tmpl", "clusterScope": True}
    assert dry.status_code == 200
    assert api.store.try_get("Workflow", NS, dry.json()["metadata"].get("name") or "-") is None


def test_submit_with_malformed_parameters_is_400(api) -> None:
    cron = {"metadata": {"name": "daily"}, "spec": {"schedules": ["0 0 * * *"], "workflowSpec": _spec()}}
    with api.client() as c:
        assert c.post(f"/api/v1/cron-workflows/{NS}", json={"cronWorkflow": cron}).status_code == 200
        resp = c.post(
            f"/api/v1/workflows/{NS}/submit",
            json={"resourceKind": "CronWorkflow", "resourceName": "daily", "submitOptions": {"parameters": ["x"]}},
        )
    assert resp.status_code == 400
    assert "submitOptions.parameters[0]" in resp.json()["message"]
