"""Reading manifests for `sluice apply` and for `sluice up`'s start-up apply of the rendered `manifests/`.

Files and folders of YAML (multi-document, `.yaml`/`.yml`, folders recursively in name order) become a list
of documents, ordered so that what others reference lands first (templates before the things that submit them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sluicegate.errors import ManifestError

__all__ = ["CLUSTER_KINDS", "DEFAULT_NAMESPACE", "Manifest", "load_manifests"]

DEFAULT_NAMESPACE = "default"
CLUSTER_KINDS = {"ClusterWorkflowTemplate", "Namespace", "ClusterRole", "ClusterRoleBinding"}

#: Apply order by kind (unknown kinds go in the middle, after templates and before triggers).
_ORDER = [
    "Namespace",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "ClusterWorkflowTemplate",
    "WorkflowTemplate",
    "AnalysisTemplate",
    "EventBus",
    "Service",
    "Rollout",
    "EventSource",
    "Sensor",
    "CronWorkflow",
    "Workflow",
]

Manifest = tuple[str, dict[str, Any]]


def _rank(kind: str) -> int:
    return _ORDER.index(kind) if kind in _ORDER else _ORDER.index("Service")


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if path.is_file():
        return [path]
    raise ManifestError(f"{path} does not exist", where=str(path), fix="give a YAML file or a folder of them")


def load_manifests(paths: list[Path]) -> list[Manifest]:
    """Every document in `paths` as `(source "file#index", doc)`, in apply order, namespace defaulted.

    Raises:
        ManifestError: a file is not YAML, or a document is not an object with `kind` and `metadata.name`.
    """
    out: list[Manifest] = []
    for path in paths:
        for file in _files(path):
            try:
                docs = list(yaml.safe_load_all(file.read_text()))
            except yaml.YAMLError as e:
                mark = getattr(e, "problem_mark", None)
                line = f":{mark.line + 1}" if mark is not None else ""
                raise ManifestError(f"not valid YAML: {e}", where=f"{file}{line}", fix="fix the YAML syntax") from e
            for i, doc in enumerate(docs):
                if doc is None:
                    continue
                where = f"{file}#{i}"
                meta = doc.get("metadata") if isinstance(doc, dict) else None
                if not isinstance(doc, dict) or not doc.get("kind") or not isinstance(meta, dict):
                    raise ManifestError("not a Kubernetes object", where=where, fix="give it kind and metadata")
                if not (meta.get("name") or meta.get("generateName")):
                    raise ManifestError("metadata.name is missing", where=where, fix="name the object")
                if doc["kind"] in CLUSTER_KINDS:
                    meta["namespace"] = ""
                else:
                    meta.setdefault("namespace", DEFAULT_NAMESPACE)
                out.append((where, doc))
    out.sort(key=lambda m: _rank(str(m[1]["kind"])))
    return out
