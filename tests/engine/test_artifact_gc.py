"""artifactGC deletes output artifacts from the local repository on completion or deletion, as Argo's controller."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from sluicegate.engine.testing import LocalEngine
from sluicegate.store import Store
from tests.engine.conftest import nodes_by_display, sh, workflow


def _producer(name: str, strategy: str | None = None) -> dict[str, Any]:
    art: dict[str, Any] = {"name": "out", "path": "/tmp/out.txt"}
    if strategy is not None:
        art["artifactGC"] = {"strategy": strategy}
    return sh(name, f"echo {name} > /tmp/out.txt", outputs={"artifacts": [art]})


def _two(first: str | None, second: str | None, *extra: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """Steps `a` and `b` each storing artifact `out` (with those per-artifact strategies), then `extra` steps."""
    steps = [[{"name": "a", "template": "pa"}, {"name": "b", "template": "pb"}]]
    steps += [[{"name": t["name"], "template": t["name"]}] for t in extra]
    main = {"name": "main", "steps": steps}
    return workflow("main", main, _producer("pa", first), _producer("pb", second), *extra, **spec)


def _stored(engine: LocalEngine, doc: dict[str, Any], step: str) -> Path:
    return engine.home / "artifacts" / nodes_by_display(doc)[step]["outputs"]["artifacts"][0]["s3"]["key"]


def _eventually(check: Any, timeout: float = 30) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _processed(doc: dict[str, Any]) -> dict[str, Any]:
    return dict((doc["status"].get("artifactGCStatus") or {}).get("strategiesProcessed") or {})


def test_on_completion_deletes_artifacts_but_not_an_override_never(engine: LocalEngine) -> None:
    doc = engine.submit(_two(None, "Never", artifactGC={"strategy": "OnWorkflowCompletion"}))
    done = engine.until(doc, lambda d: _processed(d).get("OnWorkflowCompletion") is True)
    assert done["status"]["phase"] == "Succeeded"
    a, b = nodes_by_display(done)["a"], nodes_by_display(done)["b"]
    assert a["outputs"]["artifacts"][0]["deleted"] is True
    assert "deleted" not in b["outputs"]["artifacts"][0]
    assert not _stored(engine, done, "a").exists()
    assert _stored(engine, done, "b").exists()
    assert not [c for c in done["status"].get("conditions") or [] if c["type"] == "ArtifactGCError"]


def test_an_artifact_override_applies_without_a_workflow_strategy(engine: LocalEngine) -> None:
    doc = engine.submit(_two("OnWorkflowCompletion", None))
    done = engine.until(doc, lambda d: _processed(d).get("OnWorkflowCompletion") is True)
    assert not _stored(engine, done, "a").exists()
    assert _stored(engine, done, "b").exists()


def test_on_deletion_waits_for_the_api_delete(engine: LocalEngine) -> None:
    doc = engine.wait(engine.submit(_two(None, None, artifactGC={"strategy": "OnWorkflowDeletion"})))
    a, b = _stored(engine, doc, "a"), _stored(engine, doc, "b")
    assert a.exists() and b.exists()
    assert "OnWorkflowCompletion" not in _processed(doc)
    engine.store.delete("Workflow", "argo", doc["metadata"]["name"])
    assert _eventually(lambda: not a.exists() and not b.exists())


#: A step that runs until its /tmp/gate exists (so the test can look at the workflow before it completes).
_GATE = sh("wait", "while [ ! -e /tmp/gate ]; do sleep 0.05; done")


def _waiting(engine: LocalEngine, doc: dict[str, Any]) -> dict[str, Any]:
    """The workflow once step `wait` runs."""

    def running(d: dict[str, Any]) -> bool:
        return bool(d["status"].get("nodes")) and nodes_by_display(d).get("wait", {}).get("phase") == "Running"

    return engine.until(doc, running)


def _open(engine: LocalEngine, running: dict[str, Any]) -> None:
    """Let step `wait` end: write its /tmp/gate."""
    tmp = engine.home / "run" / "argo" / running["metadata"]["name"] / nodes_by_display(running)["wait"]["id"] / "tmp"
    assert _eventually(tmp.is_dir)
    (tmp / "gate").touch()


def test_on_deletion_runs_before_a_ttl_deletion(engine: LocalEngine) -> None:
    spec = {"artifactGC": {"strategy": "OnWorkflowDeletion"}, "ttlStrategy": {"secondsAfterCompletion": 0}}
    doc = engine.submit(_two(None, "Never", _GATE, **spec))
    running = _waiting(engine, doc)
    a, b = _stored(engine, running, "a"), _stored(engine, running, "b")
    assert a.exists()
    _open(engine, running)
    assert _eventually(lambda: engine.store.try_get("Workflow", "argo", doc["metadata"]["name"]) is None)
    assert not a.exists()
    assert b.exists()


def test_never_and_the_default_keep_artifacts_after_deletion(engine: LocalEngine) -> None:
    kept = engine.wait(engine.submit(_two(None, None)))
    never = engine.wait(engine.submit(_two(None, None, artifactGC={"strategy": "Never"})))
    marker = engine.wait(engine.submit(_two(None, None, artifactGC={"strategy": "OnWorkflowDeletion"})))
    paths = [_stored(engine, d, s) for d in (kept, never) for s in ("a", "b")]
    for d in (kept, never, marker):
        engine.store.delete("Workflow", "argo", d["metadata"]["name"])
    # the controller handles deletions in order: once the last one's artifacts are gone, the others were seen
    assert _eventually(lambda: not _stored(engine, marker, "a").exists())
    assert all(p.exists() for p in paths)
    assert not list((engine.home / "artifact-gc" / "argo").glob(f"{kept['metadata']['name']}*"))


def test_a_key_leading_out_of_the_repository_is_not_followed(engine: LocalEngine, tmp_path: Path) -> None:
    spec = {"artifactGC": {"strategy": "OnWorkflowDeletion"}, "ttlStrategy": {"secondsAfterCompletion": 0}}
    doc = engine.submit(_two(None, "Never", _GATE, **spec))
    running = _waiting(engine, doc)
    stored = _stored(engine, running, "a")
    outside = tmp_path / "outside"
    shutil.move(stored.parent, outside)  # the node's folder in the repository becomes a link to a folder outside
    stored.parent.symlink_to(outside)
    _open(engine, running)
    kept = engine.until(doc, lambda d: any(c["type"] == "ArtifactGCError" for c in d["status"].get("conditions") or []))
    assert (outside / stored.name).exists()
    assert "leaves its root folder" in str(kept["status"]["conditions"])
    assert _processed(kept).get("OnWorkflowDeletion") is True
    # a ttlStrategy deletion waits for the artifacts, as Argo's finalizer holds the workflow: a later workflow
    # with the same ttlStrategy is deleted, this one stays
    later = engine.submit(workflow("main", sh("main", "true"), ttlStrategy={"secondsAfterCompletion": 0}))
    assert _eventually(lambda: engine.store.try_get("Workflow", "argo", later["metadata"]["name"]) is None)
    assert engine.store.try_get("Workflow", "argo", doc["metadata"]["name"]) is not None


def test_force_finalizer_removal_deletes_the_workflow_though_an_artifact_stayed(
    engine: LocalEngine, tmp_path: Path
) -> None:
    gc = {"strategy": "OnWorkflowDeletion", "forceFinalizerRemoval": True}
    doc = engine.submit(_two(None, None, _GATE, artifactGC=gc, ttlStrategy={"secondsAfterCompletion": 0}))
    running = _waiting(engine, doc)
    stored, other = _stored(engine, running, "a"), _stored(engine, running, "b")
    outside = tmp_path / "outside"
    shutil.move(stored.parent, outside)
    stored.parent.symlink_to(outside)
    _open(engine, running)
    assert _eventually(lambda: engine.store.try_get("Workflow", "argo", doc["metadata"]["name"]) is None)
    assert (outside / stored.name).exists()
    assert not other.exists()


def test_a_workflow_deleted_while_no_controller_ran_loses_its_artifacts_at_the_next_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with LocalEngine(home) as first:
        done = first.wait(first.submit(_two(None, "Never", artifactGC={"strategy": "OnWorkflowDeletion"})))
        a, b = _stored(first, done, "a"), _stored(first, done, "b")
    assert a.exists() and b.exists()
    store = Store(home / "store.db")
    store.delete("Workflow", "argo", done["metadata"]["name"])
    store.close()
    with LocalEngine(home):
        assert not a.exists()
        assert b.exists()
