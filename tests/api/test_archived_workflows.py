"""Finished workflows are archived and outlive their deletion; Argo's archived-workflows API serves them.

Driven with Hera's own `WorkflowsService` against the real API and workflow controller.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from hera.workflows import Container, Parameter, Workflow, WorkflowsService
from hera.workflows.models import ResubmitArchivedWorkflowRequest, RetryArchivedWorkflowRequest

from tests.conftest import LocalApi
from tests.stack.conftest import poll

NS = "sluicegate"
STATUS = "workflows.argoproj.io/workflow-archiving-status"


def _svc(api: LocalApi) -> WorkflowsService:
    return WorkflowsService(host=api.url, token=api.token, namespace=NS)


def _run(
    api: LocalApi, name: str, command: list[str], labels: dict[str, str] | None = None, wait: bool = True, **spec: Any
) -> str:
    """Create a one-step workflow and (with `wait`) wait until the controller archived it; its uid."""
    svc = _svc(api)
    with Workflow(
        name=name,
        namespace=NS,
        entrypoint="main",
        labels=labels,
        arguments=[Parameter(name="word", value="first")],
        workflows_service=svc,
        **spec,
    ) as w:
        Container(name="main", image="alpine:3.20", command=command)
    uid = str(w.create().metadata.uid)
    if wait:
        poll(lambda: api.store.get("Workflow", NS, name)["metadata"].get("labels", {}).get(STATUS) == "Archived")
    return uid


def _http(api: LocalApi) -> httpx.Client:
    return httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {api.token}"}, timeout=10)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_a_finished_workflow_is_archived_and_outlives_its_deletion(local_stack: LocalApi) -> None:
    name = _name("archived")
    uid = _run(local_stack, name, ["echo", "{{workflow.parameters.word}}"], labels={"team": "fraud"})
    svc = _svc(local_stack)
    svc.delete_workflow(name)
    assert local_stack.store.try_get("Workflow", NS, name) is None

    listed = svc.list_archived_workflows(namespace=NS, label_selector="team=fraud")
    assert [(i.metadata.name, i.status.phase) for i in listed.items] == [(name, "Succeeded")]
    assert listed.items[0].status.nodes is None  # list answers are summaries, as Argo's
    whole = svc.get_archived_workflow(uid)
    assert whole.metadata.labels[STATUS] == "Persisted"
    assert whole.spec.entrypoint == "main"
    assert [n.phase for n in whole.status.nodes.values()] == ["Succeeded"]


def test_ttl_deleted_workflow_is_still_in_the_archive(local_stack: LocalApi) -> None:
    from hera.workflows.models import TTLStrategy

    name = _name("ttl")
    uid = _run(local_stack, name, ["true"], wait=False, ttl_strategy=TTLStrategy(seconds_after_completion=0))
    poll(lambda: local_stack.store.try_get("Workflow", NS, name) is None)
    assert _svc(local_stack).get_archived_workflow(uid).metadata.name == name


def test_resubmit_from_the_archive_runs_again_with_new_parameters(local_stack: LocalApi) -> None:
    name = _name("resub")
    uid = _run(local_stack, name, ["echo", "{{workflow.parameters.word}}"])
    svc = _svc(local_stack)
    new = svc.resubmit_archived_workflow(uid, ResubmitArchivedWorkflowRequest(parameters=["word=second"]))
    assert new.metadata.name != name and new.metadata.name.startswith(f"{name}-")
    done = poll(lambda: (d := svc.get_workflow(new.metadata.name)).status.phase == "Succeeded" and d)
    assert [p.value for p in done.spec.arguments.parameters] == ["second"]
    assert done.metadata.labels["workflows.argoproj.io/resubmitted-from-workflow"] == name


def test_retry_from_the_archive_needs_the_live_workflow_gone(local_stack: LocalApi) -> None:
    name = _name("retry")
    uid = _run(local_stack, name, ["false"])
    with _http(local_stack) as http:
        taken = http.put(f"/api/v1/archived-workflows/{uid}/retry", json={})
    assert taken.status_code == 409 and "use argo retry" in taken.json()["message"]
    svc = _svc(local_stack)
    svc.delete_workflow(name)
    again = svc.retry_archived_workflow(uid, RetryArchivedWorkflowRequest())
    assert again.metadata.name == name and again.metadata.uid != uid
    failed = poll(lambda: (d := svc.get_workflow(name)).status.phase in ("Failed", "Error") and d)
    assert failed.status.phase == "Failed"  # the step ran again and failed again


def test_lists_page_by_offset_and_filter_by_name_and_labels(local_stack: LocalApi) -> None:
    prefix = _name("paged")
    for i in range(3):
        _run(local_stack, f"{prefix}-{i}", ["true"], labels={"batch": prefix})
    svc = _svc(local_stack)
    first = svc.list_archived_workflows(namespace=NS, name_prefix=prefix, limit="2")
    rest = svc.list_archived_workflows(namespace=NS, name_prefix=prefix, limit="2", continue_=first.metadata.continue_)
    names = [i.metadata.name for i in first.items + rest.items]
    assert sorted(names) == [f"{prefix}-{i}" for i in range(3)] and first.metadata.continue_ == "2"
    assert rest.metadata.continue_ is None
    contains = svc.list_archived_workflows(
        namespace=NS, field_selector=f"metadata.name={prefix[-6:]}-1", name_filter="Contains"
    )
    assert [i.metadata.name for i in contains.items] == [f"{prefix}-1"]
    assert prefix in svc.list_archived_workflow_label_values(label_selector="batch").items
    assert "batch" in svc.list_archived_workflow_label_keys().items


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ({"listOptions.continue": "abc"}, "listOptions.continue must be int"),
        ({"listOptions.fieldSelector": "status.phase=Failed"}, "unsupported requirement status.phase=Failed"),
        ({"listOptions.fieldSelector": "spec.startedAt>yesterday"}, "not an RFC 3339 time"),
        ({"nameFilter": "Regex"}, "nameFilter 'Regex'"),
    ],
)
def test_bad_list_options_are_400_naming_the_option(local_stack: LocalApi, query: dict[str, str], where: str) -> None:
    with _http(local_stack) as http:
        r = http.get("/api/v1/archived-workflows", params=query)
    assert r.status_code == 400 and where in r.json()["message"]


def test_label_values_need_exactly_one_key(local_stack: LocalApi) -> None:
    with _http(local_stack) as http:
        r = http.get("/api/v1/archived-workflows-label-values", params={"listOptions.labelSelector": "a,b"})
        missing = http.get("/api/v1/archived-workflows/no-such-uid")
    assert r.status_code == 400 and "only allow 1 labelRequirement, found 2" in r.json()["message"]
    assert missing.status_code == 404


def test_the_controller_configmap_turns_archiving_off_or_selects(local_stack: LocalApi) -> None:
    local_stack.store.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "workflow-controller-configmap", "namespace": NS},
            "data": {"persistence": "archive: true\narchiveLabelSelector:\n  matchLabels: {keep: 'yes'}\n"},
        }
    )
    try:
        kept, skipped = _name("kept"), _name("skipped")
        _run(local_stack, kept, ["true"], labels={"keep": "yes"})
        svc = _svc(local_stack)
        with Workflow(name=skipped, namespace=NS, entrypoint="main", workflows_service=svc) as w:
            Container(name="main", image="alpine:3.20", command=["true"])
        w.create()
        done = poll(
            lambda: (d := local_stack.store.get("Workflow", NS, skipped))["status"].get("phase") == "Succeeded" and d
        )
        time.sleep(0.5)  # the archiver runs right after the reconcile that finished it
        assert STATUS not in (local_stack.store.get("Workflow", NS, skipped)["metadata"].get("labels") or {})
        assert done
        names = [i.metadata.name for i in svc.list_archived_workflows(namespace=NS).items]
        assert kept in names and skipped not in names
    finally:
        local_stack.store.delete("ConfigMap", NS, "workflow-controller-configmap")


def test_archive_ttl_forgets_old_copies(tmp_path: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from sluicegate.store import ArchiveQuery, WorkflowArchive

    archive = WorkflowArchive(tmp_path / "store.db")
    for name, finished in (("old", "2026-01-01T00:00:00Z"), ("new", "2026-01-09T00:00:00Z")):
        doc = {
            "metadata": {"name": name, "namespace": NS, "uid": name},
            "status": {"phase": "Succeeded", "finishedAt": finished},
        }
        archive.archive(doc)
    forgotten = archive.delete_expired(timedelta(days=7).total_seconds(), NS, now=datetime(2026, 1, 10, tzinfo=UTC))
    assert forgotten == 1
    assert [d["metadata"]["name"] for d in archive.select(ArchiveQuery(namespace=NS))[0]] == ["new"]


def test_equality_selectors_page_and_count_in_the_database_as_the_matcher_does(tmp_path: Any) -> None:
    from sluicegate.api._selectors import label_equalities, label_matcher
    from sluicegate.store import ArchiveQuery, WorkflowArchive

    archive = WorkflowArchive(tmp_path / "store.db")
    for i in range(7):
        labels = {"team": "a" if i % 2 else "b", **({"tier": "gold"} if i < 3 else {})}
        archive.archive(
            {
                "metadata": {"name": f"wf-{i}", "namespace": NS, "uid": f"u{i}", "labels": labels},
                "status": {"phase": "Succeeded", "startedAt": f"2026-01-0{i + 1}T00:00:00Z"},
            }
        )
    for selector in ("team=a", "team==b,tier", "tier", "team=a,tier=gold", "team=c"):
        pairs = label_equalities(selector)
        assert pairs is not None, selector
        by_db = archive.select(ArchiveQuery(namespace=NS), labels=pairs, limit=2, offset=1)
        by_matcher = archive.select(ArchiveQuery(namespace=NS), matches=label_matcher(selector), limit=2, offset=1)
        assert by_db == by_matcher, selector
    assert archive.select(ArchiveQuery(namespace=NS), labels=[("team", "a")])[1] == 3
    for other in ("team!=a", "team in (a,b)", "!tier"):
        assert label_equalities(other) is None
