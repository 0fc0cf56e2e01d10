"""WorkflowTemplates and CronWorkflows through Hera's real client: create, get, update, list, delete, lint."""

from __future__ import annotations

import httpx
import pytest
from hera.exceptions import AlreadyExists, BadRequest, NotFound
from hera.workflows import Container, CronWorkflow, Steps, WorkflowsService, WorkflowTemplate
from hera.workflows.models import (
    CreateCronWorkflowRequest,
    CronWorkflowResumeRequest,
    CronWorkflowSuspendRequest,
    UpdateCronWorkflowRequest,
    WorkflowTemplateCreateRequest,
    WorkflowTemplateUpdateRequest,
)

NS = "sluicegate"


def _template(api, name: str, message: str = "hi") -> WorkflowTemplate:
    svc = WorkflowsService(host=api.url, token=api.token, namespace=NS)
    with WorkflowTemplate(name=name, namespace=NS, entrypoint="main", workflows_service=svc) as wt:
        echo = Container(name="echo", image="alpine:3.20", command=["echo", message])
        with Steps(name="main"):
            echo()
    return wt


def test_template_create_get_list_delete_with_hera(api) -> None:
    wt = _template(api, "tmpl-crud")
    created = wt.create()
    assert created.metadata.name == "tmpl-crud"
    assert created.metadata.resource_version
    svc = wt.workflows_service
    got = svc.get_workflow_template("tmpl-crud")
    assert got.spec.entrypoint == "main"
    assert got.metadata.creation_timestamp is not None  # an aware RFC 3339 time Hera parsed
    names = [t.metadata.name for t in svc.list_workflow_templates().items or []]
    assert "tmpl-crud" in names
    svc.delete_workflow_template("tmpl-crud")
    with pytest.raises(NotFound):
        svc.get_workflow_template("tmpl-crud")


def test_template_update_via_hera_replaces_spec(api) -> None:
    _template(api, "tmpl-upd", "one").create()
    updated = _template(api, "tmpl-upd", "two").update()
    steps_template = next(t for t in updated.spec.templates if t.name == "echo")
    assert steps_template.container.command == ["echo", "two"]


def test_template_update_creates_when_missing(api) -> None:
    created = _template(api, "tmpl-upsert").update()  # Hera falls back to create on 404
    assert created.metadata.name == "tmpl-upsert"


def test_template_update_with_stale_resource_version_is_409(api) -> None:
    wt = _template(api, "tmpl-stale")
    first = wt.create()
    svc = wt.workflows_service
    fresh = svc.get_workflow_template("tmpl-stale")
    fresh.metadata.labels = {"changed": "yes"}
    svc.update_workflow_template("tmpl-stale", WorkflowTemplateUpdateRequest(template=fresh))
    with pytest.raises(AlreadyExists, match="has been modified"):
        svc.update_workflow_template("tmpl-stale", WorkflowTemplateUpdateRequest(template=first))
    with api.client() as c:
        body = c.put(
            f"/api/v1/workflow-templates/{NS}/tmpl-stale",
            json={"template": first.model_dump(mode="json", by_alias=True, exclude_none=True)},
        )
    assert body.status_code == 409
    assert body.json()["code"] == 10


def test_template_create_twice_is_409_already_exists(api) -> None:
    _template(api, "tmpl-dup").create()
    with pytest.raises(AlreadyExists, match="already exists"):
        _template(api, "tmpl-dup").create()


def test_template_get_missing_is_404_with_grpc_not_found(api) -> None:
    with api.client() as c:
        resp = c.get(f"/api/v1/workflow-templates/{NS}/nope")
    assert resp.status_code == 404
    assert resp.json()["code"] == 5
    assert '"nope" not found' in resp.json()["message"]


def test_template_invalid_field_is_400_with_path_and_nothing_stored(api) -> None:
    doc = _template(api, "tmpl-bad").to_dict()
    doc["spec"]["templates"][0]["container"]["command"] = "echo hi"  # must be a list
    with api.client() as c:
        resp = c.post(f"/api/v1/workflow-templates/{NS}", json={"template": doc})
    assert resp.status_code == 400
    assert resp.json()["code"] == 3
    assert "spec.templates[0].container.command" in resp.json()["message"]
    assert api.store.try_get("WorkflowTemplate", NS, "tmpl-bad") is None


def test_template_unknown_entrypoint_is_400_naming_the_field(api) -> None:
    wt = _template(api, "tmpl-entry")
    wt.entrypoint = "missing"
    with pytest.raises(BadRequest, match=r"spec\.entrypoint"):
        wt.create()
    assert api.store.try_get("WorkflowTemplate", NS, "tmpl-entry") is None


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"template": 3}', b"{}"])
def test_template_malformed_body_is_400_never_5xx(api, body: bytes) -> None:
    with api.client() as c:
        resp = c.post(f"/api/v1/workflow-templates/{NS}", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["code"] == 3


def test_template_lint_accepts_valid_and_rejects_invalid(api) -> None:
    wt = _template(api, "tmpl-lint")
    linted = wt.lint()
    assert linted.metadata.name == "tmpl-lint"
    assert api.store.try_get("WorkflowTemplate", NS, "tmpl-lint") is None  # lint stores nothing
    doc = wt.to_dict()
    echo = next(t for t in doc["spec"]["templates"] if t["name"] == "echo")
    echo["container"]["image"] = 7
    with api.client() as c:
        resp = c.post(f"/api/v1/workflow-templates/{NS}/lint", json={"template": doc})
    assert resp.status_code == 400
    assert "container.image" in resp.json()["message"]


def test_template_list_filters_by_label_selector(api) -> None:
    wt = _template(api, "tmpl-labelled")
    wt.labels = {"team": "ml", "tier": "gold"}
    wt.create()
    svc = wt.workflows_service
    with api.client() as c:
        hits = c.get(f"/api/v1/workflow-templates/{NS}", params={"listOptions.labelSelector": "team=ml,tier in (gold)"})
        misses = c.get(f"/api/v1/workflow-templates/{NS}", params={"listOptions.labelSelector": "team!=ml"})
    assert [t["metadata"]["name"] for t in hits.json()["items"]] == ["tmpl-labelled"]
    assert "tmpl-labelled" not in [t["metadata"]["name"] for t in misses.json()["items"]]
    assert svc.list_workflow_templates(label_selector="team=ml").items[0].metadata.name == "tmpl-labelled"


def test_label_selector_syntax_error_is_400(api) -> None:
    with api.client() as c:
        resp = c.get(f"/api/v1/workflow-templates/{NS}", params={"listOptions.labelSelector": "a in b"})
    assert resp.status_code == 400
    assert "labelSelector" in resp.json()["message"]


def test_cron_workflow_crud_suspend_and_resume_with_hera(api) -> None:
    svc = WorkflowsService(host=api.url, token=api.token, namespace=NS)
    with CronWorkflow(name="nightly", namespace=NS, schedules=["0 3 * * *"], entrypoint="main") as cw:
        Container(name="main", image="alpine:3.20", command=["true"])
    created = svc.create_cron_workflow(CreateCronWorkflowRequest(cron_workflow=cw.build()))
    assert created.spec.schedules == ["0 3 * * *"]
    assert svc.suspend_cron_workflow("nightly", CronWorkflowSuspendRequest()).spec.suspend is True
    assert svc.resume_cron_workflow("nightly", CronWorkflowResumeRequest()).spec.suspend is False
    current = svc.get_cron_workflow("nightly")
    current.spec.schedules = ["0 4 * * *"]
    updated = svc.update_cron_workflow("nightly", UpdateCronWorkflowRequest(cron_workflow=current))
    assert updated.spec.schedules == ["0 4 * * *"]
    assert [c.metadata.name for c in svc.list_cron_workflows().items] == ["nightly"]
    svc.delete_cron_workflow("nightly")
    with pytest.raises(NotFound):
        svc.get_cron_workflow("nightly")


def test_cluster_workflow_templates_are_cluster_scoped(api) -> None:
    doc = _template(api, "shared").to_dict()
    doc["kind"] = "ClusterWorkflowTemplate"
    doc["metadata"].pop("namespace")
    with api.client() as c:
        assert c.post("/api/v1/cluster-workflow-templates", json={"template": doc}).status_code == 200
        got = c.get("/api/v1/cluster-workflow-templates/shared").json()
    assert got["metadata"]["namespace"] == ""
    assert got["kind"] == "ClusterWorkflowTemplate"


def test_template_create_request_model_round_trips(api) -> None:
    wt = _template(api, "tmpl-model")
    svc = wt.workflows_service
    made = svc.create_workflow_template(WorkflowTemplateCreateRequest(template=wt.build()))
    assert made.kind == "WorkflowTemplate"
    assert made.api_version == "argoproj.io/v1alpha1"
    assert httpx.get(f"{api.url}/healthz").status_code == 200


def _steps_doc(name: str, step: dict) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", "steps": [[{"name": "s", **step}]]},
                {"name": "echo", "container": {"image": "alpine:3.20", "command": ["echo"]}},
            ],
        },
    }


def test_template_lint_runs_the_linter_on_references(api) -> None:
    with api.client() as c:
        missing = c.post(
            f"/api/v1/workflow-templates/{NS}/lint", json={"template": _steps_doc("lint-ref", {"template": "absent"})}
        )
        c.post(f"/api/v1/workflow-templates/{NS}", json={"template": _steps_doc("lint-target", {"template": "echo"})})
        by_ref = c.post(
            f"/api/v1/workflows/{NS}/lint",
            json={"workflow": _steps_doc("lint-wf", {"templateRef": {"name": "lint-target", "template": "echo"}})},
        )
        bad_ref = c.post(
            f"/api/v1/workflows/{NS}/lint",
            json={"workflow": _steps_doc("lint-wf", {"templateRef": {"name": "lint-target", "template": "nope"}})},
        )
    assert missing.status_code == 400
    assert "absent" in missing.json()["message"] and "spec.templates[0]" in missing.json()["message"]
    assert by_ref.status_code == 200, by_ref.text
    assert bad_ref.status_code == 400
    assert "nope" in bad_ref.json()["message"]
