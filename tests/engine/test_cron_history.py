"""CronWorkflow history limits: successfulJobsHistoryLimit and failedJobsHistoryLimit, as Argo enforces them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluicegate.engine._cron import CronScheduler, history_limit
from sluicegate.errors import ManifestError
from sluicegate.store import Store

_LABEL = "workflows.argoproj.io/cron-workflow"


def _cron(**spec: Any) -> dict[str, Any]:
    base = {"schedules": ["0 0 1 1 *"], "workflowSpec": {"entrypoint": "x", "templates": []}}
    return {"kind": "CronWorkflow", "metadata": {"name": "nightly", "namespace": "argo"}, "spec": {**base, **spec}}


def _finished(store: Store, name: str, phase: str, minute: int, cron: str = "nightly", uid: str = "") -> None:
    uid = uid or store.get("CronWorkflow", "argo", "nightly")["metadata"]["uid"]
    owner = {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "name": cron, "uid": uid, "controller": True}
    store.create(
        {
            "kind": "Workflow",
            "metadata": {"name": name, "namespace": "argo", "labels": {_LABEL: cron}, "ownerReferences": [owner]},
            "spec": {"entrypoint": "x", "templates": []},
            "status": {"phase": phase, "finishedAt": f"2026-01-01T00:{minute:02d}:00Z"},
        }
    )


def _names(store: Store) -> set[str]:
    return {wf["metadata"]["name"] for wf in store.list("Workflow", "argo")}


def test_defaults_keep_three_succeeded_and_one_failed_newest_by_finish(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.create(_cron())
    for minute in (5, 1, 4, 2, 3):  # created out of finish order: finishedAt decides
        _finished(store, f"ok-{minute}", "Succeeded", minute)
    _finished(store, "bad-1", "Failed", 1)
    _finished(store, "bad-2", "Error", 2)
    _finished(store, "running", "Running", 0)
    _finished(store, "other-1", "Succeeded", 0, cron="weekly")  # another CronWorkflow's label: not counted
    _finished(store, "other-2", "Succeeded", 0, uid="uid-of-a-deleted-nightly")  # owned by another: not counted
    CronScheduler(store).tick()
    assert _names(store) == {"ok-5", "ok-4", "ok-3", "bad-2", "running", "other-1", "other-2"}
    store.close()


def test_explicit_limits_zero_and_negative(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.create(_cron(successfulJobsHistoryLimit=0, failedJobsHistoryLimit=-1))  # -1: the default (1)
    _finished(store, "ok", "Succeeded", 1)
    _finished(store, "bad-1", "Failed", 1)
    _finished(store, "bad-2", "Failed", 2)
    CronScheduler(store).tick()
    assert _names(store) == {"bad-2"}
    store.close()


def test_history_limit_reads_and_rejects() -> None:
    assert history_limit({}, "successfulJobsHistoryLimit", 3) == 3
    assert history_limit({"failedJobsHistoryLimit": 5}, "failedJobsHistoryLimit", 1) == 5
    with pytest.raises(ManifestError, match="failedJobsHistoryLimit"):
        history_limit({"failedJobsHistoryLimit": "2"}, "failedJobsHistoryLimit", 1)


def test_deleted_runs_take_their_step_folders_and_logs(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    store.create(_cron(successfulJobsHistoryLimit=1))
    _finished(store, "ok-1", "Succeeded", 1)
    _finished(store, "ok-2", "Succeeded", 2)
    for name in ("ok-1", "ok-2"):
        (tmp_path / "run" / "argo" / name / "node").mkdir(parents=True)
        (tmp_path / "logs" / "argo" / name).mkdir(parents=True)
    CronScheduler(store).tick()  # the home is the store's folder, as SLUICE_HOME/store.db
    assert _names(store) == {"ok-2"}
    assert not (tmp_path / "run" / "argo" / "ok-1").exists() and not (tmp_path / "logs" / "argo" / "ok-1").exists()
    assert (tmp_path / "run" / "argo" / "ok-2" / "node").is_dir() and (tmp_path / "logs" / "argo" / "ok-2").is_dir()
    store.close()
