"""Artifact garbage collection (`spec.artifactGC`, `outputs.artifacts[].artifactGC`), as Argo's controller does it.

Called by `_gc.Collector`: `completion_due` and `collect` when a workflow has completed (strategy
`OnWorkflowCompletion`), `collect` again before a ttlStrategy deletion (`OnWorkflowDeletion`, and any
completion artifacts left), and `sync_record`/`collect_deleted` for a workflow deleted through the API or CLI.
An artifact's strategy is its own `artifactGC.strategy`, else the workflow's (Argo's default: none, which is
`Never`). Only output artifacts of Pod nodes are collected, each from the local artifact repository by the
`s3.key` its node recorded; a key that would lead outside the repository is never followed. Each deleted
artifact gets `deleted: true`, each processed strategy `status.artifactGCStatus.strategiesProcessed`, and a
failure the condition `ArtifactGCError`.

Argo holds a deleted workflow with a finalizer until its artifacts are gone. The local store has no
finalizers, so the engine keeps a record per workflow (`SLUICE_HOME/artifact-gc/<ns>/<name>.json`) of the
artifacts still to collect: when the workflow is deleted, or found deleted on start, the record is collected.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from sluicegate.engine._nodes import COMPLETED
from sluicegate.errors import NotFoundError, SluiceError
from sluicegate.names import under
from sluicegate.store import Store

__all__ = [
    "COMPLETION",
    "DELETION",
    "ON_DELETE",
    "blocks_deletion",
    "collect",
    "collect_deleted",
    "completion_due",
    "deleted_on_start",
    "strategy_of",
    "sync_record",
    "wanted",
]

log = logging.getLogger(__name__)
Doc = dict[str, Any]
COMPLETION = "OnWorkflowCompletion"
DELETION = "OnWorkflowDeletion"
#: What a deletion collects: Argo runs the completion strategy too if it has not run yet.
ON_DELETE = (COMPLETION, DELETION)


def _workflow_gc(doc: Doc) -> dict[str, Any]:
    spec, status = doc.get("spec") or {}, doc.get("status") or {}
    stored = status.get("storedWorkflowTemplateSpec") or {}
    return dict(spec.get("artifactGC") or stored.get("artifactGC") or {})


def strategy_of(doc: Doc, art: dict[str, Any]) -> str:
    """The artifact's GC strategy: its own, else the workflow's; "" when neither says (Argo's Never)."""
    own = str((art.get("artifactGC") or {}).get("strategy") or "")
    return own or str(_workflow_gc(doc).get("strategy") or "")


def _targets(doc: Doc, strategies: tuple[str, ...]) -> list[tuple[str, int, dict[str, Any]]]:
    """(node ID, index, artifact) of Pod nodes' output artifacts not yet deleted whose strategy is one of these."""
    found = []
    for node_id, node in sorted(((doc.get("status") or {}).get("nodes") or {}).items()):
        if node.get("type") != "Pod":
            continue
        for i, art in enumerate((node.get("outputs") or {}).get("artifacts") or []):
            if not art.get("deleted") and strategy_of(doc, art) in strategies:
                found.append((node_id, i, art))
    return found


def _processed(doc: Doc, strategy: str) -> bool:
    gc_status = (doc.get("status") or {}).get("artifactGCStatus") or {}
    return bool((gc_status.get("strategiesProcessed") or {}).get(strategy))


def completion_due(doc: Doc) -> bool:
    """Whether a completed workflow has artifacts for `OnWorkflowCompletion` not yet processed."""
    status = doc.get("status") or {}
    return status.get("phase") in COMPLETED and not _processed(doc, COMPLETION) and bool(_targets(doc, (COMPLETION,)))


def wanted(doc: Doc) -> bool:
    """Whether a deletion of the workflow has artifacts to collect."""
    return bool(_targets(doc, ON_DELETE))


def blocks_deletion(doc: Doc) -> bool:
    """Whether a ttlStrategy deletion must wait: GC on deletion ran, left artifacts, and is not forced."""
    forced = bool(_workflow_gc(doc).get("forceFinalizerRemoval"))
    return _processed(doc, DELETION) and not forced and bool(_targets(doc, ON_DELETE))


def _remove(repo: Path, art: dict[str, Any]) -> str | None:
    """Delete one artifact from the repository; the error message, or None."""
    key = str(((art.get("s3") or {}).get("key")) or "").strip("/")
    if not key:
        return f"artifact {art.get('name')!r} has no s3.key in the local repository"
    try:
        path = under(repo, key, what=f"artifact {art.get('name')!r} s3.key")
        if path == repo.resolve():
            return f"artifact {art.get('name')!r}: s3.key {key!r} names the whole repository"
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except SluiceError as e:
        return e.message
    except OSError as e:
        return f"artifact {art.get('name')!r}: deleting {key!r} failed: {e}"
    return None


def collect(store: Store, repo: Path, doc: Doc, strategies: tuple[str, ...]) -> Doc | None:
    """Delete the artifacts of `strategies` and record it in the workflow's status; the stored workflow or None.

    Args:
        store: the controller's store (the status is written with one mutate).
        repo: the artifact repository (`SLUICE_HOME/artifacts`).
        doc: the workflow as last seen.
        strategies: the strategies to process now (`COMPLETION`, or `ON_DELETE` before a deletion).
    """
    meta = doc.get("metadata") or {}
    namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    errors: dict[tuple[str, int], str] = {}
    done: set[tuple[str, int]] = set()
    for node_id, i, art in _targets(doc, strategies):
        error = _remove(repo, art)
        if error is None:
            done.add((node_id, i))
        else:
            errors[(node_id, i)] = error
            log.warning("artifact GC of %s/%s: %s", namespace, name, error)

    def mark(wf: Doc) -> Doc:
        status = wf.setdefault("status", {})
        for node_id, node in (status.get("nodes") or {}).items():
            for i, art in enumerate((node.get("outputs") or {}).get("artifacts") or []):
                if (node_id, i) in done:
                    art["deleted"] = True
        processed = status.setdefault("artifactGCStatus", {}).setdefault("strategiesProcessed", {})
        for strategy in strategies:
            processed[strategy] = True
        conditions = status.setdefault("conditions", [])
        for message in errors.values():
            condition = {"type": "ArtifactGCError", "status": "True", "message": message}
            if condition not in conditions:
                conditions.append(condition)
        return wf

    try:
        return store.mutate("Workflow", namespace, name, mark)
    except NotFoundError:
        return None


def _record_path(home: Path, namespace: str, name: str) -> Path:
    return under(home / "artifact-gc", namespace, f"{name}.json", what="artifact GC record")


def sync_record(home: Path, doc: Doc, known: dict[tuple[str, str], list[str]]) -> None:
    """Keep the workflow's record of artifacts a deletion must collect (`known`: what was written last)."""
    meta = doc.get("metadata") or {}
    key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
    keys = sorted({str((a.get("s3") or {}).get("key") or "") for _, _, a in _targets(doc, ON_DELETE)} - {""})
    if known.get(key, []) == keys and (keys or key in known):
        return
    path = _record_path(home, *key)
    if keys:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"uid": meta.get("uid", ""), "keys": keys}))
        tmp.replace(path)
    else:
        path.unlink(missing_ok=True)
    known[key] = keys


def collect_deleted(home: Path, store: Store, namespace: str, name: str) -> None:
    """Collect the recorded artifacts of a workflow that is gone from the store (kept if it is back)."""
    path = _record_path(home, namespace, name)
    if not path.exists():
        return
    record = json.loads(path.read_text())
    live = store.try_get("Workflow", namespace, name)
    if live is not None and (live.get("metadata") or {}).get("uid") == record.get("uid"):
        return
    failed = [
        e for e in (_remove(home / "artifacts", {"name": k, "s3": {"key": k}}) for k in record["keys"]) if e is not None
    ]
    for error in failed:
        log.warning("artifact GC of deleted workflow %s/%s: %s", namespace, name, error)
    if not failed:
        path.unlink(missing_ok=True)


def deleted_on_start(home: Path, store: Store) -> None:
    """Collect the records of workflows deleted while no controller ran."""
    root = home / "artifact-gc"
    for path in sorted(root.glob("*/*.json")) if root.is_dir() else []:
        try:
            collect_deleted(home, store, path.parent.name, path.stem)
        except (OSError, ValueError, KeyError, SluiceError) as e:
            log.warning("artifact GC record %s: %s", path, e)
