"""Hera's real client drives the whole life cycle against `sluice up --detach` (API + workflow controller)."""

# No `from __future__ import annotations` here: Hera reads the script functions' annotations at runtime.

import json
import os

import argo_workflows
import httpx
import pytest
from argo_workflows.api import workflow_service_api
from hera.exceptions import NotFound
from hera.workflows import (
    DAG,
    Container,
    Parameter,
    Steps,
    Suspend,
    Workflow,
    WorkflowsService,
    WorkflowTemplate,
    script,
)
from hera.workflows import models as m
from hera.workflows.models import (
    SubmitOpts,
    ValueFrom,
    WorkflowResubmitRequest,
    WorkflowResumeRequest,
    WorkflowRetryRequest,
    WorkflowStopRequest,
    WorkflowSubmitRequest,
    WorkflowTerminateRequest,
)

from sluicegate.stack._state import start_time
from tests.conftest import processes_running
from tests.stack.conftest import Running, poll

pytestmark = pytest.mark.slow

pytest.importorskip("sluicegate.engine")

NS = "sluicegate"
DONE = ("Succeeded", "Failed", "Error")


@script(image="python:3.11")
def add_one(number: str) -> None:
    print(int(number) + 1)


def _svc(stack: Running) -> WorkflowsService:
    return WorkflowsService(host=stack.url, token=stack.token, namespace=NS)


def _finished(svc: WorkflowsService, name: str, timeout: float = 60):
    return poll(lambda: (wf := svc.get_workflow(name)).status.phase in DONE and wf, timeout)


def _node(wf, display_name: str):
    return next(n for n in wf.status.nodes.values() if n.display_name == display_name)


def test_hera_create_wait_reads_node_outputs(detached_stack: Running) -> None:
    with Workflow(
        generate_name="outputs-", namespace=NS, entrypoint="main", workflows_service=_svc(detached_stack)
    ) as w:
        produce = Container(
            name="produce",
            image="alpine:3.20",
            command=["sh", "-c", "printf 41 > /tmp/n.txt; echo produced"],
            outputs=[Parameter(name="n", value_from=ValueFrom(path="/tmp/n.txt"))],
        )
        with DAG(name="main"):
            a = produce(name="a")
            b = add_one(name="b", arguments={"number": a.get_parameter("n")})
            a >> b
    final = w.create(wait=True, poll_interval=1)
    assert final.status.phase == "Succeeded", final.status.message
    assert _node(final, "a").outputs.parameters[0].value == "41"
    assert _node(final, "b").outputs.result == "42"
    assert final.status.finished_at is not None


def test_hera_submit_from_template_and_read_logs(detached_stack: Running) -> None:
    svc = _svc(detached_stack)
    with WorkflowTemplate(
        name="greet", namespace=NS, entrypoint="main", arguments={"msg": "default"}, workflows_service=svc
    ) as wt:
        Container(name="main", image="alpine:3.20", command=["echo", "{{workflow.parameters.msg}}"])
    wt.create()
    submitted = svc.submit_workflow(
        WorkflowSubmitRequest(
            resource_kind="WorkflowTemplate", resource_name="greet", submit_options=SubmitOpts(parameters=["msg=hello"])
        )
    )
    assert submitted.status.phase == "Running"
    assert submitted.metadata.labels["workflows.argoproj.io/workflow-template"] == "greet"
    final = _finished(svc, submitted.metadata.name)
    assert final.status.phase == "Succeeded", final.status.message
    resp = httpx.get(
        f"{detached_stack.url}/api/v1/workflows/{NS}/{final.metadata.name}/log",
        headers={"Authorization": f"Bearer {detached_stack.token}"},
        params={"logOptions.container": "main"},
    )
    lines = [json.loads(line)["result"] for line in resp.text.splitlines()]
    assert [entry["content"] for entry in lines] == ["hello"]
    assert lines[0]["podName"] == final.metadata.name  # a one-pod workflow: the pod is named like the workflow


def _sleeper(stack: Running, seconds: int = 60) -> str:
    with Workflow(generate_name="sleep-", namespace=NS, entrypoint="main", workflows_service=_svc(stack)) as w:
        Container(name="main", image="alpine:3.20", command=["sleep", str(seconds)])
    name = w.create().metadata.name
    svc = _svc(stack)
    poll(
        lambda: any(
            n.phase == "Running" and n.type == "Pod" for n in (svc.get_workflow(name).status.nodes or {}).values()
        )
    )
    return name


def test_hera_terminate_and_stop_end_failed_with_argo_message(detached_stack: Running) -> None:
    svc = _svc(detached_stack)
    terminated = _sleeper(detached_stack)
    svc.terminate_workflow(terminated, WorkflowTerminateRequest())
    stopped = _sleeper(detached_stack)
    svc.stop_workflow(stopped, WorkflowStopRequest(message="enough"))
    assert "Terminate" in (_finished(svc, terminated, 30).status.message or "")
    final = _finished(svc, stopped, 30)
    assert final.status.phase == "Failed"
    assert "Stop" in (final.status.message or "")


def test_hera_suspend_template_then_resume(detached_stack: Running) -> None:
    svc = _svc(detached_stack)
    with Workflow(generate_name="approve-", namespace=NS, entrypoint="main", workflows_service=svc) as w:
        gate = Suspend(name="gate")
        done = Container(name="done", image="alpine:3.20", command=["echo", "approved"])
        with Steps(name="main"):
            gate()
            done()
    name = w.create().metadata.name
    poll(
        lambda: any(
            n.type == "Suspend" and n.phase == "Running" for n in (svc.get_workflow(name).status.nodes or {}).values()
        )
    )
    svc.resume_workflow(name, WorkflowResumeRequest())
    assert _finished(svc, name).status.phase == "Succeeded"


def _marks(claim: str) -> tuple[list[m.Volume], list[m.VolumeMount]]:
    """A PVC at /marks: steps are sandboxed, so state between runs lives in a volume (as on a cluster)."""
    volume = m.Volume(name="marks", persistent_volume_claim=m.PersistentVolumeClaimVolumeSource(claim_name=claim))
    return [volume], [m.VolumeMount(name="marks", mount_path="/marks")]


def test_hera_retry_failed_and_resubmit(detached_stack: Running) -> None:
    svc = _svc(detached_stack)
    volumes, mounts = _marks("flaky")
    with Workflow(generate_name="flaky-", namespace=NS, entrypoint="main", workflows_service=svc, volumes=volumes) as w:
        Container(
            name="main",
            image="alpine:3.20",
            command=["sh", "-c", "test -f /marks/flag || { touch /marks/flag; exit 3; }"],
            volume_mounts=mounts,
        )
    name = w.create().metadata.name
    assert _finished(svc, name).status.phase == "Failed"
    assert (detached_stack.home / "volumes" / NS / "flaky" / "flag").exists()
    svc.retry_workflow(name, WorkflowRetryRequest())
    assert _finished(svc, name).status.phase == "Succeeded"
    again = svc.resubmit_workflow(name, WorkflowResubmitRequest())
    assert again.metadata.name != name
    assert again.status.phase == "Running"
    assert _finished(svc, again.metadata.name).status.phase == "Succeeded"


def test_official_client_reads_a_finished_workflow_with_nodes(detached_stack: Running) -> None:
    with Workflow(
        generate_name="official-", namespace=NS, entrypoint="main", workflows_service=_svc(detached_stack)
    ) as w:
        echo = Container(name="echo", image="alpine:3.20", command=["echo", "x"])
        with Steps(name="main"):
            echo(name="one")
            echo(name="two")
    name = w.create(wait=True, poll_interval=1).metadata.name
    config = argo_workflows.Configuration(host=detached_stack.url)
    config.api_key["BearerToken"] = detached_stack.token
    config.api_key_prefix["BearerToken"] = "Bearer"
    with argo_workflows.ApiClient(config) as client:
        api = workflow_service_api.WorkflowServiceApi(client)
        got = api.get_workflow(NS, name)
        listed = api.list_workflows(NS)
    assert got.status.phase == "Succeeded"
    assert {n.display_name for n in got.status.nodes.values()} >= {"one", "two"}
    assert name in [i.metadata.name for i in listed.items]


def test_hera_delete_of_a_running_workflow_stops_its_steps(detached_stack: Running) -> None:
    svc = _svc(detached_stack)
    argv = f"sleep 120.{os.getpid()}"
    with Workflow(generate_name="doomed-", namespace=NS, entrypoint="main", workflows_service=svc) as w:
        Container(name="main", image="alpine:3.20", command=["sh", "-c", f"exec {argv}"])
    name = w.create().metadata.name
    pids = poll(lambda: processes_running(argv))
    svc.delete_workflow(name)
    poll(lambda: all(start_time(pid) is None for pid in pids))  # gone (or zombies): the step was killed
    with pytest.raises(NotFound):
        svc.get_workflow(name)
