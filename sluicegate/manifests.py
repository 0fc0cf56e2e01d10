"""Kubernetes manifests: reading YAML files and folders, and the one order every apply uses.

Called by `sluice apply` and `sluice up`'s start-up apply (through `sluicegate.stack`), by both backends'
`apply` and by `sluice deploy`: a folder is applied to the local stack and to a cluster in the same order.
The order puts what others refer to first: the namespace-scoped plumbing (ServiceAccounts, Roles,
RoleBindings, ConfigMaps, Secrets), then the workflow templates (cluster-wide before namespaced ones, which may
`templateRef` them), then the EventBus, EventSources and Sensors, then AnalysisTemplates, Services and
Rollouts, and CronWorkflows last among the known kinds (a cron that fires must find its template). Other
kinds (Workflows among them) follow, by kind; within a kind, by namespace and name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from contract import NAMESPACE
from sluicegate.errors import ConfigError, ManifestError

__all__ = [
    "APPLY_ORDER",
    "CLUSTER_KINDS",
    "Manifest",
    "apply_order",
    "default_namespace",
    "identity",
    "load_manifests",
    "read_yaml",
    "rendered_documents",
    "yaml_files",
]

#: Kinds without a namespace.
CLUSTER_KINDS = frozenset({"ClusterWorkflowTemplate", "Namespace", "ClusterRole", "ClusterRoleBinding"})

APPLY_ORDER: tuple[str, ...] = (
    "Namespace",
    "ServiceAccount",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "NetworkPolicy",
    "ClusterWorkflowTemplate",
    "WorkflowTemplate",
    "EventBus",
    "EventSource",
    "Sensor",
    "AnalysisTemplate",
    "ClusterAnalysisTemplate",
    "Service",
    "Deployment",
    "Ingress",
    "ServiceMonitor",
    "PodMonitor",
    "PodDisruptionBudget",
    "Rollout",
    "CronWorkflow",
)
_RANK = {kind: i for i, kind in enumerate(APPLY_ORDER)}

#: `(source "file#index", document)`.
Manifest = tuple[str, dict[str, Any]]


def identity(doc: Mapping[str, Any], where: str = "") -> tuple[str, str, str]:
    """`(kind, namespace, name)` of a document, or a ManifestError naming what is missing."""
    kind = doc.get("kind")
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if not isinstance(kind, str) or not kind:
        raise ManifestError("the document has no kind", where=where or "document", fix="set `kind:`")
    if not isinstance(name, str) or not name:
        raise ManifestError(
            "the document has no metadata.name", where=f"{where or kind}: metadata.name", fix="name the object"
        )
    namespace = meta.get("namespace") if isinstance(meta, Mapping) else None
    return kind, str(namespace or ""), name


def _order_key(doc: Mapping[str, Any]) -> tuple[int, str, str, str]:
    kind = str(doc.get("kind") or "")
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    name = str(meta.get("name") or meta.get("generateName") or "")
    return _RANK.get(kind, len(APPLY_ORDER)), kind, str(meta.get("namespace") or ""), name


def apply_order(documents: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The documents sorted so that everything an object refers to is applied before it.

    Raises:
        ManifestError: a document has no kind or no `metadata.name` (`identity`).
    """
    docs = list(documents)
    for doc in docs:
        identity(doc)
    return sorted(docs, key=_order_key)


def default_namespace(doc: dict[str, Any], namespace: str | None = None, where: str = "") -> dict[str, Any]:
    """`doc` with `metadata.namespace` set where it names none, and cleared for a cluster-wide kind.

    A document without a namespace goes to `namespace` when one is given (`sluice apply -n`), else to the
    namespace every `sluice` command defaults to (`contract.NAMESPACE`), as `kubectl apply` puts it in the
    context's namespace. A document naming another namespace than a given one is refused, as kubectl refuses it
    (the error's where: `where`, the document's place as `load_manifests` names it, then the field).
    """
    meta = doc["metadata"]
    if doc["kind"] in CLUSTER_KINDS:
        meta["namespace"] = ""
    elif not meta.get("namespace"):
        meta["namespace"] = namespace or NAMESPACE
    elif namespace and meta["namespace"] != namespace:
        raise ManifestError(
            f"the namespace of {doc['kind']}/{meta.get('name')} ({meta['namespace']!r}) does not match"
            f" --namespace {namespace!r}",
            where=f"{where}: metadata.namespace" if where else "metadata.namespace",
            fix=f"pass --namespace {meta['namespace']}, or leave --namespace out",
        )
    return doc


def yaml_files(path: Path, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> list[Path]:
    """`path` if it is a file (whatever its name), else the files of the folder ending in `suffixes`, recursively."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in suffixes and p.is_file())
    if path.is_file():
        return [path]
    raise ManifestError(f"{path} does not exist", where=str(path), fix="give a YAML file or a folder of them")


def read_yaml(file: Path) -> list[Any]:
    """Every document of a YAML file, in order, `None` for an empty one (`---` with nothing after it).

    Raises:
        ManifestError: the file cannot be read, or is not YAML (where: `file:line`).
    """
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ManifestError(f"cannot read: {e}", where=str(file), fix="check the file's permissions") from e
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        context = getattr(e, "context", None)
        raise ManifestError(
            f"malformed YAML: {problem}" + (f" ({context})" if context else ""),
            where=f"{file}:{mark.line + 1}" if mark is not None else str(file),
            fix="fix the indentation, quoting or brackets at that line",
        ) from e


def _read(file: Path) -> list[Manifest]:
    out: list[Manifest] = []
    for i, doc in enumerate(read_yaml(file)):
        if doc is None:
            continue
        where = f"{file}#{i}"
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or not doc.get("kind") or not isinstance(meta, dict):
            raise ManifestError("not a Kubernetes object", where=where, fix="give it kind and metadata")
        if not (meta.get("name") or meta.get("generateName")):
            raise ManifestError("metadata.name is missing", where=where, fix="name the object")
        out.append((where, doc))
    return out


def load_manifests(paths: Sequence[Path]) -> list[Manifest]:
    """Every document of the YAML files and folders (`.yaml`/`.yml`, recursively) in `paths`, in apply order.

    Namespaces are left as written: the one applying them defaults them (`default_namespace`).

    Raises:
        ManifestError: a path does not exist, a file is not YAML, or a document is not an object with `kind`
            and `metadata.name` (or `generateName`).
    """
    found = [manifest for path in paths for file in yaml_files(path) for manifest in _read(file)]
    return sorted(found, key=lambda manifest: _order_key(manifest[1]))


def rendered_documents(directory: Path) -> list[dict[str, Any]]:
    """The documents of a folder of rendered manifests (`sluice render --out`), in apply order.

    Raises:
        ConfigError: `directory` is not a folder, or holds no manifests (the fix: render them).
        ManifestError: as `load_manifests`.
    """
    if not directory.is_dir():
        raise ConfigError(
            "not a directory", where=str(directory), fix="render the manifests first: `sluice render --out manifests`"
        )
    docs = [doc for _, doc in load_manifests([directory])]
    if not docs:
        raise ConfigError("holds no manifests", where=str(directory), fix="run `sluice render --out manifests`")
    return docs
