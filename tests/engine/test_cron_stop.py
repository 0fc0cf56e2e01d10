"""CronWorkflow stopStrategy: counting finished runs, Stopped phase and completed label, as Argo's operator does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sluicegate.engine._cron import CronScheduler
from sluicegate.engine._cronstop import COMPLETED_LABEL, cron_env
from sluicegate.store import Store


def _cron(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    base = {"schedules": ["*/5 * * * *"], "workflowSpec": {"entrypoint": "x", "templates": []}}
    doc = {"kind": "CronWorkflow", "metadata": {"name": "nightly", "namespace": "argo"}, "spec": {**base, **spec}}
    if status:
        doc["status"] = status
    return doc


def _start(doc: dict[str, Any]) -> datetime:
    return datetime.strptime(doc["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _finish(store: Store, wf: dict[str, Any], phase: str) -> None:
    def done(doc: dict[str, Any]) -> dict[str, Any]:
        doc["status"] = {"phase": phase, "finishedAt": "2026-01-01T00:00:00Z"}
        return doc

    store.mutate("Workflow", "argo", wf["metadata"]["name"], done)


def test_stops_after_the_counted_failure_that_makes_the_expression_true(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    start = _start(
        store.create(_cron(stopStrategy={"expression": "cronworkflow.failed >= 2"}, failedJobsHistoryLimit=5))
    )
    scheduler = CronScheduler(store)
    first = scheduler.tick(start + timedelta(minutes=6))
    assert len(first) == 1
    assert store.get("CronWorkflow", "argo", "nightly")["status"]["phase"] == "Active"
    _finish(store, first[0], "Failed")
    second = scheduler.tick(start + timedelta(minutes=11))
    assert len(second) == 1
    cron = store.get("CronWorkflow", "argo", "nightly")
    assert cron["status"]["failed"] == 1 and cron["status"]["phase"] == "Active"
    _finish(store, second[0], "Error")
    assert scheduler.tick(start + timedelta(minutes=12)) == []
    cron = store.get("CronWorkflow", "argo", "nightly")
    assert cron["status"]["failed"] == 2
    assert cron["status"]["phase"] == "Stopped"
    assert cron["metadata"]["labels"][COMPLETED_LABEL] == "true"
    assert cron["status"]["active"] == []
    assert scheduler.tick(start + timedelta(minutes=31)) == []  # a Stopped CronWorkflow schedules nothing more
    store.close()


def test_checked_when_the_schedule_fires(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    created = store.create(_cron(stopStrategy={"expression": "cronworkflow.succeeded >= 3"}))
    store.mutate("CronWorkflow", "argo", "nightly", lambda d: {**d, "status": {"succeeded": 3}})
    assert CronScheduler(store).tick(_start(created) + timedelta(minutes=6)) == []
    cron = store.get("CronWorkflow", "argo", "nightly")
    assert cron["status"]["phase"] == "Stopped"
    assert cron["metadata"]["labels"][COMPLETED_LABEL] == "true"
    store.close()


def test_bad_expression_is_a_spec_error_and_runs_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    start = _start(store.create(_cron(stopStrategy={"expression": "cronworkflow.failed >="})))
    scheduler = CronScheduler(store)
    assert scheduler.tick(start + timedelta(minutes=6)) == []
    cron = store.get("CronWorkflow", "argo", "nightly")
    (condition,) = cron["status"]["conditions"]
    assert condition["type"] == "SpecError" and condition["status"] == "True"
    assert condition["message"].startswith("failed to check CronWorkflow 'nightly' stopping condition")
    assert "phase" not in cron["status"]

    def fix(doc: dict[str, Any]) -> dict[str, Any]:
        doc["spec"]["stopStrategy"] = {"expression": "cronworkflow.failed >= 1"}
        return doc

    store.mutate("CronWorkflow", "argo", "nightly", fix)
    assert len(scheduler.tick(start + timedelta(minutes=11))) == 1
    assert "conditions" not in store.get("CronWorkflow", "argo", "nightly")["status"]
    store.close()


def test_cron_env_has_argos_variables() -> None:
    doc = {
        "metadata": {"name": "n", "namespace": "ns", "labels": {"b": "2", "a": "1"}, "annotations": {"x": "y"}},
        "status": {"failed": 2, "lastScheduledTime": "2026-01-01T00:05:00Z"},
    }
    env = cron_env(doc)
    assert env["failed"] == 2 and env["succeeded"] == 0
    assert env["annotations"] == {"a": "1", "b": "2"}  # Argo fills it from the labels
    assert env["labels.json"] == '{"a":"1","b":"2"}' and env["annotations.json"] == '{"x":"y"}'
    assert env["lastScheduledTime"] == datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    assert cron_env({"metadata": {"name": "n"}})["lastScheduledTime"] is None
