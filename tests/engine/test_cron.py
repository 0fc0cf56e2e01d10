"""CronWorkflows: schedules with timezone, suspend, concurrencyPolicy, startingDeadlineSeconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sluicegate.engine._cron import CronScheduler, due_time
from sluicegate.store import Store


def _cron(**spec: Any) -> dict[str, Any]:
    base = {"schedules": ["*/5 * * * *"], "workflowSpec": {"entrypoint": "x", "templates": []}}
    return {"kind": "CronWorkflow", "metadata": {"name": "nightly", "namespace": "argo"}, "spec": {**base, **spec}}


def test_due_time_picks_newest_missed_schedule_in_timezone() -> None:
    last = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    now = datetime(2026, 1, 1, 0, 17, tzinfo=UTC)
    assert due_time({"schedules": ["*/5 * * * *"]}, last, now) == datetime(2026, 1, 1, 0, 15, tzinfo=UTC)
    paris = {"schedules": ["0 1 * * *"], "timezone": "Europe/Paris"}  # 01:00 in Paris is 00:00 UTC in January
    assert due_time(paris, last - timedelta(hours=1), now) == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert due_time({"schedules": ["0 1 * * *"]}, last - timedelta(hours=1), now) is None
    assert due_time({"schedules": ["30 0 * * *"]}, last, now) is None


def test_tick_creates_workflow_and_records_status(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    created = store.create(_cron())
    start = datetime.strptime(created["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    scheduler = CronScheduler(store)
    later = start + timedelta(minutes=6)
    made = scheduler.tick(later)
    assert len(made) == 1
    wf = made[0]
    assert wf["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "nightly"
    assert wf["metadata"]["ownerReferences"][0]["kind"] == "CronWorkflow"
    cron = store.get("CronWorkflow", "argo", "nightly")
    assert cron["status"]["active"][0]["name"] == wf["metadata"]["name"]
    assert scheduler.tick(later) == []  # same schedule is not run twice
    store.close()


def test_forbid_skips_while_active_and_suspend_blocks(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    created = store.create(_cron(concurrencyPolicy="Forbid"))
    start = datetime.strptime(created["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    scheduler = CronScheduler(store)
    assert len(scheduler.tick(start + timedelta(minutes=6))) == 1
    assert scheduler.tick(start + timedelta(minutes=11)) == []  # the first is still active
    store.mutate("CronWorkflow", "argo", "nightly", lambda d: {**d, "spec": {**d["spec"], "suspend": True}})
    assert scheduler.tick(start + timedelta(minutes=30)) == []
    store.close()


def test_starting_deadline_skips_late_runs_and_replace_terminates(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    created = store.create(_cron(startingDeadlineSeconds=10, concurrencyPolicy="Replace"))
    start = datetime.strptime(created["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    scheduler = CronScheduler(store)
    due = due_time(created["spec"], start, start + timedelta(minutes=6))
    assert due is not None
    assert scheduler.tick(due + timedelta(seconds=60)) == []  # too late
    nxt = due + timedelta(minutes=5)
    first = scheduler.tick(nxt + timedelta(seconds=1))
    assert len(first) == 1
    second = scheduler.tick(nxt + timedelta(minutes=5, seconds=1))
    assert len(second) == 1
    old = store.get("Workflow", "argo", first[0]["metadata"]["name"])
    assert old["spec"]["shutdown"] == "Terminate"
    store.close()
