import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sluicegate.errors import ConflictError, NotFoundError
from sluicegate.store import Store, json_copy


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


def test_status_write_without_sync_survives_kill_and_later_writes_sync_again(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path).create(wf("a"))
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from sluicegate.store import Store\n"
        "store = Store(Path(sys.argv[1]))\n"
        "store.mutate('Workflow', 'argo', 'a', lambda d: {**d, 'status': {'phase': 'Running'}}, durable=False)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    store = Store(path)
    assert store.get("Workflow", "argo", "a")["status"] == {"phase": "Running"}
    store.mutate("Workflow", "argo", "a", lambda d: {**d, "status": {"phase": "Succeeded"}}, durable=False)
    store.create(wf("b"))
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again for what clients write


def test_resource_versions_keep_rising_across_deletes_and_kinds(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    versions = [int(store.create(wf("a"))["metadata"]["resourceVersion"])]
    store.delete("Workflow", "argo", "a")
    cm = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "argo"}, "data": {}}
    versions.append(int(store.create(cm)["metadata"]["resourceVersion"]))
    versions.append(int(store.create(wf("a"))["metadata"]["resourceVersion"]))
    assert versions == sorted(set(versions)) and store.head() == versions[-1]
    assert [c.kind for c in store.changes(0, kinds=("ConfigMap",))] == ["ConfigMap"]


def test_keys_that_are_not_strings_are_stored_as_json_writes_them(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    cm = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "argo"}, "data": {1: "one", "two": "2"}}
    store.create(cm)  # YAML reads `1:` as such a key; the API's JSON never has one
    assert store.get("ConfigMap", "argo", "c")["data"] == {"1": "one", "two": "2"}


def test_json_copy_shares_nothing_with_the_original() -> None:
    original = {"spec": {"steps": [[{"name": "a", "args": ["x"]}]], "when": (1, 2)}, "n": 1.5, "ok": True}
    copied = json_copy(original)
    copied["spec"]["steps"][0][0]["args"].append("y")
    assert copied["spec"]["when"] == (1, 2)  # what JSON cannot hold is copied by copy.deepcopy
    assert original["spec"]["steps"][0][0]["args"] == ["x"] and copied == {
        **original,
        "spec": {**original["spec"], "steps": [[{"name": "a", "args": ["x", "y"]}]]},
    }


def test_wait_returns_changes_of_its_kinds_only_from_this_and_other_processes(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    since = store.head()
    cm = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "argo"}, "data": {}}

    def writes() -> None:
        for i in range(5):
            store.create(wf(f"w{i}"))  # other kinds: the ConfigMap waiter keeps waiting
        Store(tmp_path / "s.db").create(cm)  # another connection, as another process writes

    writer = threading.Thread(target=writes)
    writer.start()
    found = store.wait(since, 30, kinds=("ConfigMap",))
    writer.join()
    assert [(c.kind, c.name) for c in found] == [("ConfigMap", "c")]
    assert store.wait(found[-1].seq, 0.3, kinds=("ConfigMap",)) == []
