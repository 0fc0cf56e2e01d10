"""The client's workflow verbs (argo's submit/get/list/stop/terminate/suspend/resume/retry/resubmit/delete)."""

from __future__ import annotations

import pytest
from hera.workflows.models import Workflow

from sluicegate.client import StackClient
from sluicegate.errors import ManifestError, NotFoundError
from tests.client.conftest import until


def _paused(wf: Workflow) -> bool:
    nodes = (wf.status.nodes or {}) if wf.status else {}
    return any(n.display_name == "pause" and n.phase == "Running" for n in nodes.values())


def _phase(wf: Workflow) -> str:
    return str(wf.status.phase) if wf.status and wf.status.phase else ""


def test_templates_are_listed_and_read_with_their_parameters(client: StackClient) -> None:
    assert "waits" in [t.metadata.name for t in client.workflows.templates()]
    template = client.workflows.template("waits")
    params = template.spec.arguments.parameters if template.spec.arguments else None
    assert [(p.name, p.value) for p in params or []] == [("greeting", "hi")]


def test_resume_lets_a_suspended_step_go_on(client: StackClient) -> None:
    name = str(client.workflows.submit("waits", {"greeting": "hello"}).metadata.name)
    until(client, name, _paused)
    client.workflows.resume(name)
    assert _phase(until(client, name, lambda wf: _phase(wf) in {"Succeeded", "Failed", "Error"})) == "Succeeded"
    assert name in [w.metadata.name for w in client.workflows.list()]


def test_suspend_sets_the_workflow_suspended_and_resume_clears_it(client: StackClient) -> None:
    name = str(client.workflows.submit("waits", {}).metadata.name)
    assert client.workflows.suspend(name).spec.suspend is True
    assert not client.workflows.resume(name).spec.suspend
    client.workflows.terminate(name)


def test_stop_and_terminate_end_a_running_workflow_as_failed(client: StackClient) -> None:
    for verb in (client.workflows.stop, client.workflows.terminate):
        name = str(client.workflows.submit("waits", {}).metadata.name)
        until(client, name, _paused)
        verb(name)
        assert _phase(until(client, name, lambda wf: _phase(wf) in {"Failed", "Error"})) == "Failed"


def test_retry_runs_a_failed_workflow_again_and_resubmit_makes_a_new_one(client: StackClient) -> None:
    name = str(client.workflows.submit("waits", {}).metadata.name)
    until(client, name, _paused)
    client.workflows.terminate(name)
    until(client, name, lambda wf: _phase(wf) == "Failed")
    assert _phase(client.workflows.retry(name)) == "Running"
    again = client.workflows.resubmit(name)
    assert again.metadata.name != name
    for wf in (name, str(again.metadata.name)):
        client.workflows.terminate(wf)


def test_deleted_workflow_is_not_found(client: StackClient) -> None:
    name = str(client.workflows.submit("waits", {}).metadata.name)
    client.workflows.terminate(name)
    client.workflows.delete(name)
    with pytest.raises(NotFoundError, match=name):
        client.workflows.get(name)
    with pytest.raises(NotFoundError, match="sluice list"):
        list(client.workflows.logs(name))


#: Fails unless its argument `word` is "ok": retried or resubmitted with -p word=ok, it succeeds.
CHECKS = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "WorkflowTemplate",
    "metadata": {"name": "checks", "namespace": "sluicegate"},
    "spec": {
        "entrypoint": "check",
        "arguments": {"parameters": [{"name": "first", "value": "1"}, {"name": "word", "value": "bad"}]},
        "templates": [
            {
                "name": "check",
                "container": {
                    "image": "busybox",
                    "command": ["sh", "-c"],
                    "args": ['test "{{workflow.parameters.word}}" = ok'],
                },
            }
        ],
    },
}


def _arguments(wf: Workflow) -> list[tuple[str, str]]:
    params = wf.spec.arguments.parameters if wf.spec.arguments else None
    return [(str(p.name), str(p.value)) for p in params or []]


def test_retry_and_resubmit_with_parameters_run_with_them_as_argo_overrides_them(client: StackClient) -> None:
    client.objects.apply(CHECKS)
    failed = str(client.workflows.submit("checks", {"first": "2", "word": "bad"}).metadata.name)
    assert _phase(until(client, failed, lambda wf: _phase(wf) in {"Succeeded", "Failed", "Error"})) == "Failed"
    again = client.workflows.resubmit(failed, parameters={"word": "ok"})
    # Argo's overrideParameters: the given ones first, then the workflow's others
    assert _arguments(again) == [("word", "ok"), ("first", "2")]
    done = until(client, str(again.metadata.name), lambda wf: _phase(wf) in {"Succeeded", "Failed", "Error"})
    assert _phase(done) == "Succeeded"
    retried = client.workflows.retry(failed, parameters={"word": "ok"})
    assert _arguments(retried) == [("word", "ok"), ("first", "2")]
    assert _phase(until(client, failed, lambda wf: _phase(wf) in {"Succeeded", "Failed", "Error"})) == "Succeeded"


def test_a_parameter_without_equals_is_refused_with_argos_words(client: StackClient) -> None:
    client.objects.apply(CHECKS)
    failed = str(client.workflows.submit("checks", {}).metadata.name)
    until(client, failed, lambda wf: _phase(wf) in {"Succeeded", "Failed", "Error"})
    with pytest.raises(ManifestError) as refused:  # the client's error for a 400
        client.http.request(
            "PUT", f"/api/v1/workflows/sluicegate/{failed}/resubmit", {"parameters": ["word=ok", "no-equals"]}
        )
    assert "parameters[1]" in str(refused.value) and "expected parameter of the form: NAME=VALUE" in str(refused.value)
