from pathlib import Path

import pytest

from sluicegate.errors import ConflictError, NotFoundError
from sluicegate.store import Store


def wf(name: str = "", generate: str = "") -> dict:
    meta = {"namespace": "argo"}
    if name:
        meta["name"] = name
    if generate:
        meta["generateName"] = generate
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": meta,
        "spec": {"entrypoint": "a"},
    }


def test_create_resolves_generate_name_and_sets_identity(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    doc = store.create(wf(generate="demo-"))
    meta = doc["metadata"]
    assert meta["name"].startswith("demo-") and len(meta["name"]) == len("demo-") + 5
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"].endswith("Z")
    assert store.get("Workflow", "argo", meta["name"]) == doc


def test_create_existing_name_conflicts(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.create(wf("a"))
    with pytest.raises(ConflictError, match="already exists"):
        store.create(wf("a"))


def test_update_with_stale_resource_version_conflicts(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    first = store.create(wf("a"))
    second = store.update({**first, "spec": {"entrypoint": "b"}})
    assert second["metadata"]["generation"] == 2
    with pytest.raises(ConflictError, match="has been modified"):
        store.update({**first, "spec": {"entrypoint": "c"}})


def test_objects_survive_reopen_and_feed_records_changes(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.create(wf("a"))
    store.mutate("Workflow", "argo", "a", lambda d: {**d, "status": {"phase": "Running"}})
    store.delete("Workflow", "argo", "a")
    store.close()
    again = Store(tmp_path / "s.db")
    assert [c.type for c in again.changes(0)] == ["ADDED", "MODIFIED", "DELETED"]
    with pytest.raises(NotFoundError, match='Workflow "a" not found'):
        again.get("Workflow", "argo", "a")


def test_apply_keeps_status_and_reports_unchanged(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _, how = store.apply(wf("a"))
    assert how == "created"
    store.mutate("Workflow", "argo", "a", lambda d: {**d, "status": {"phase": "Running"}})
    doc, how = store.apply(wf("a"))
    assert how == "unchanged" and doc["status"] == {"phase": "Running"}
