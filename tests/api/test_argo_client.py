"""The official `argo-workflows` Python client, a second real client, reads what Hera wrote."""

from __future__ import annotations

import argo_workflows
from argo_workflows.api import workflow_service_api, workflow_template_service_api
from hera.workflows import DAG, Container, Workflow, WorkflowsService, WorkflowTemplate

NS = "sluicegate"


def _client(api) -> argo_workflows.ApiClient:
    config = argo_workflows.Configuration(host=api.url)
    config.api_key["BearerToken"] = api.token
    config.api_key_prefix["BearerToken"] = "Bearer"
    return argo_workflows.ApiClient(config)


def _seed(api) -> tuple[str, str]:
    svc = WorkflowsService(host=api.url, token=api.token, namespace=NS)
    with WorkflowTemplate(name="argo-client-tmpl", namespace=NS, entrypoint="main", workflows_service=svc) as wt:
        a = Container(name="a", image="alpine:3.20", command=["echo", "{{inputs.parameters.x}}"], inputs={"x": "1"})
        with DAG(name="main"):
            a(name="one") >> a(name="two", arguments={"x": "2"})
    wt.create()
    with Workflow(generate_name="argo-client-", namespace=NS, entrypoint="main", workflows_service=svc) as w:
        Container(name="main", image="alpine:3.20", command=["true"])
    return wt.name, w.create().metadata.name


def test_official_client_lists_and_reads_workflows_and_templates(api) -> None:
    template, workflow = _seed(api)
    with _client(api) as client:
        workflows = workflow_service_api.WorkflowServiceApi(client)
        templates = workflow_template_service_api.WorkflowTemplateServiceApi(client)
        listed = workflows.list_workflows(NS)
        got = workflows.get_workflow(NS, workflow)
        tlist = templates.list_workflow_templates(NS)
        tgot = templates.get_workflow_template(NS, template)
    assert workflow in [i.metadata.name for i in listed.items]
    assert got.status.phase == "Running"
    assert got.metadata.creation_timestamp is not None
    assert template in [t.metadata.name for t in tlist.items]
    assert [t.name for t in tgot.spec.templates] == ["a", "main"]
