"""The change feed keeps a bounded history; a reader from before it gets 410 or a re-list, never a silent gap."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sluicegate.errors import ConfigError
from sluicegate.store import HISTORY_ENV, Change, ExpiredError, Store


def _doc(name: str, kind: str = "Workflow") -> dict:
    return {"kind": kind, "metadata": {"name": name, "namespace": "argo"}, "spec": {}, "status": {"n": 0}}


def _bump(store: Store, name: str, times: int) -> None:
    for _ in range(times):
        store.mutate("Workflow", "argo", name, lambda d: {**d, "status": {"n": d["status"]["n"] + 1}})


def _rows(store: Store) -> int:
    with sqlite3.connect(store.path) as db:
        return int(db.execute("SELECT count(*) FROM changes").fetchone()[0])


def test_many_writes_keep_the_change_table_within_its_history(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", history=100)
    store.create(_doc("busy"))
    _bump(store, "busy", 1_000)
    assert _rows(store) <= 110
    assert store.head() == 1_001
    # the next resourceVersion follows the last one: compaction keeps the newest change
    assert store.create(_doc("next"))["metadata"]["resourceVersion"] == "1002"


def test_changes_from_a_compacted_version_are_expired_with_what_to_do(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", history=10)
    store.create(_doc("a"))
    _bump(store, "a", 50)
    with pytest.raises(ExpiredError) as info:
        store.changes(1)
    assert info.value.http_status == 410
    assert "too old resource version: 1" in info.value.message and "list again" in info.value.message
    recent = store.changes(store.head() - 3)
    assert [c.seq for c in recent] == [store.head() - 2, store.head() - 1, store.head()]


def test_a_waiter_behind_the_history_gets_every_object_changed_since_and_the_kept_deletions(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", history=10)
    store.create(_doc("old"))
    since = store.head()
    for name in ("x", "y", "gone"):
        store.create(_doc(name))
    _bump(store, "x", 30)
    store.delete("Workflow", "argo", "gone")
    store.create(_doc("other", kind="Sensor"))
    found = store.wait(since, 1.0, kinds=("Workflow",))
    x_rv = int(store.get("Workflow", "argo", "x")["metadata"]["resourceVersion"])
    y_rv = int(store.get("Workflow", "argo", "y")["metadata"]["resourceVersion"])
    assert found == [
        Change(y_rv, "ADDED", "Workflow", "argo", "y"),
        Change(x_rv, "ADDED", "Workflow", "argo", "x"),
        Change(x_rv + 1, "DELETED", "Workflow", "argo", "gone"),
    ]
    # from the last version it was given on, the waiter reads the feed again
    _bump(store, "y", 1)
    assert [(c.type, c.name) for c in store.wait(found[-1].seq, 1.0, kinds=("Workflow",))] == [("MODIFIED", "y")]


def test_a_waiter_behind_with_nothing_of_its_kinds_written_sees_the_next_change(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", history=10)
    store.create(_doc("a"))
    _bump(store, "a", 30)
    assert store.wait(0, 0.3, kinds=("Sensor",)) == []
    store.create(_doc("s", kind="Sensor"))
    assert [(c.type, c.kind, c.name) for c in store.wait(0, 1.0, kinds=("Sensor",))] == [("ADDED", "Sensor", "s")]


def test_a_waiter_that_asks_not_to_relist_gets_expired(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db", history=10)
    store.create(_doc("a"))
    _bump(store, "a", 30)
    with pytest.raises(ExpiredError):
        store.wait(0, 0.3, relisting=False)


def test_history_is_set_by_the_environment_and_a_bad_value_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HISTORY_ENV, "50")
    assert Store(tmp_path / "a.db").history == 50
    monkeypatch.setenv(HISTORY_ENV, "lots")
    with pytest.raises(ConfigError) as info:
        Store(tmp_path / "b.db")
    assert HISTORY_ENV in info.value.message and "'lots'" in info.value.message


def test_another_process_reading_behind_the_history_is_expired_too(tmp_path: Path) -> None:
    writer, reader = Store(tmp_path / "s.db", history=10), Store(tmp_path / "s.db", history=10)
    writer.create(_doc("a"))
    since = reader.head()
    _bump(writer, "a", 30)
    with pytest.raises(ExpiredError):
        reader.changes(since)
    assert [(c.type, c.name) for c in reader.wait(since, 1.0)] == [("ADDED", "a")]
