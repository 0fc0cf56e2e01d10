"""Reading rendered manifests and putting them in the order a cluster needs them.

Called by both backends' `apply` and by `sluice deploy`. Order: the namespace-scoped plumbing first
(ServiceAccounts, Roles, RoleBindings, ConfigMaps, Secrets), then WorkflowTemplates, then the EventBus,
EventSources and Sensors, then AnalysisTemplates, Services and Rollouts, and CronWorkflows last (a cron
that fires must find its template). Unknown kinds go after the known ones, by kind then name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from sluicegate.errors import ConfigError, ManifestError

__all__ = ["APPLY_ORDER", "apply_order", "identity", "load_manifests", "parse_parameters"]

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
    "WorkflowTemplate",
    "ClusterWorkflowTemplate",
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


def apply_order(documents: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The documents sorted so that everything an object refers to is applied before it."""

    def key(doc: Mapping[str, Any]) -> tuple[int, str, str, str]:
        kind, namespace, name = identity(doc)
        return _RANK.get(kind, len(APPLY_ORDER)), kind, namespace, name

    return sorted(documents, key=key)


def load_manifests(directory: Path) -> list[dict[str, Any]]:
    """Every document of every `*.yaml`/`*.yml` file under `directory`, in file-name order."""
    if not directory.is_dir():
        raise ConfigError(
            "not a directory", where=str(directory), fix="render the manifests first: `sluice render --out manifests`"
        )
    docs: list[dict[str, Any]] = []
    files = sorted(p for p in directory.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
    for path in files:
        try:
            loaded = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError as e:
            raise ManifestError(f"not valid YAML: {e}", where=str(path), fix="re-run `sluice render`") from e
        for i, doc in enumerate(loaded):
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise ManifestError("a document is not a mapping", where=f"{path} (document {i + 1})")
            identity(doc, where=f"{path} (document {i + 1})")
            docs.append(doc)
    if not docs:
        raise ConfigError("holds no manifests", where=str(directory), fix="run `sluice render --out manifests`")
    return docs


def parse_parameters(pairs: Sequence[str]) -> dict[str, str]:
    """`["k=v", ...]` as a dict; a pair without `=` is a ConfigError naming it."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{pair!r} is not NAME=VALUE", where="-p/--parameter", fix="write -p model-name=wine")
        params[name.strip()] = value
    return params
