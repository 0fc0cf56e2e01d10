"""Archiving finished Workflows, as Argo's controller does with `persistence.archive` on.

Called by `_controller`: after each reconcile it hands the committed Workflow to `Archiver.consider`, and its
loop calls `Archiver.expire` now and then. The settings are Argo's: key `persistence` of ConfigMap
`workflow-controller-configmap` (read in the Workflow's namespace), a YAML document with `archive`,
`archiveLabelSelector` and `archiveTTL`. Locally the archive is on when no ConfigMap says otherwise (Argo
needs a database configured first); see docs/compatibility.md.

A completed Workflow that matches is copied into the archive, then labelled
`workflows.argoproj.io/workflow-archiving-status: Archived`. The copy outlives the Workflow's deletion
(`ttlStrategy`, `sluice delete`), and is forgotten `archiveTTL` after it finished.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sluicegate.engine._gc import labels_match
from sluicegate.engine._nodes import COMPLETED
from sluicegate.errors import NotFoundError, SluiceError
from sluicegate.lang import parse_duration
from sluicegate.store import ARCHIVING_STATUS, Store, WorkflowArchive

__all__ = ["CONTROLLER_CONFIGMAP", "Archiver", "Persistence", "persistence"]

log = logging.getLogger(__name__)
Doc = dict[str, Any]

#: Argo's controller settings ConfigMap; the archive reads its `persistence` key.
CONTROLLER_CONFIGMAP = "workflow-controller-configmap"
#: How often archived Workflows past their `archiveTTL` are forgotten.
EXPIRE_EVERY = 3600.0


class Persistence(BaseModel):
    """The archive's part of Argo's `persistence` settings (database settings have no local meaning)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    archive: bool = True
    archive_label_selector: dict[str, Any] = Field(default_factory=dict, alias="archiveLabelSelector")
    archive_ttl: str = Field(default="", alias="archiveTTL")

    def ttl_seconds(self) -> float | None:
        """`archiveTTL` in seconds (Go durations plus `d` days, as Argo's TTL type), None when unset."""
        if not self.archive_ttl:
            return None
        return parse_duration(self.archive_ttl, bare="s", where="persistence.archiveTTL", days=True)


def persistence(store: Store, namespace: str) -> Persistence:
    """The namespace's archive settings; the defaults when there is no ConfigMap or its value is invalid."""
    doc = store.try_get("ConfigMap", namespace, CONTROLLER_CONFIGMAP)
    raw = ((doc or {}).get("data") or {}).get("persistence")
    if not raw:
        return Persistence()
    try:
        value = yaml.safe_load(raw) or {}
        settings = Persistence.model_validate(value)
        settings.ttl_seconds()
    except (yaml.YAMLError, ValidationError, SluiceError, TypeError) as e:
        log.warning(
            "ConfigMap %s/%s key persistence is invalid, archiving with the defaults: %s",
            namespace,
            CONTROLLER_CONFIGMAP,
            e,
        )
        return Persistence()
    return settings


class Archiver:
    """Archives completed Workflows of one store into one archive (the controller's)."""

    def __init__(self, store: Store, archive: WorkflowArchive) -> None:
        self.store = store
        self.archive = archive
        self._next_expiry = 0.0

    def consider(self, doc: Doc) -> bool:
        """Archive `doc` if it is completed, not archived yet and the settings ask for it; whether it did."""
        meta = doc.get("metadata") or {}
        labels = meta.get("labels") or {}
        if (doc.get("status") or {}).get("phase") not in COMPLETED or labels.get(ARCHIVING_STATUS) == "Archived":
            return False
        namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        settings = persistence(self.store, namespace)
        if not settings.archive or not labels_match(doc, settings.archive_label_selector):
            return False
        current = self.store.try_get("Workflow", namespace, name)  # with what was written after `doc`
        if current is None or current["metadata"].get("uid") != meta.get("uid"):
            return False
        self.archive.archive(current)

        def mark(d: Doc) -> Doc:
            d.setdefault("metadata", {}).setdefault("labels", {})[ARCHIVING_STATUS] = "Archived"
            return d

        with contextlib.suppress(NotFoundError):  # deleted meanwhile: the archived copy is what is left
            self.store.mutate("Workflow", namespace, name, mark)
        return True

    def expire(self, now: float | None = None) -> int:
        """Forget archived Workflows past their namespace's `archiveTTL` (at most once an hour); how many."""
        now = time.time() if now is None else now
        if now < self._next_expiry:
            return 0
        self._next_expiry = now + EXPIRE_EVERY
        forgotten = 0
        for cm in self.store.list("ConfigMap"):
            if cm["metadata"]["name"] != CONTROLLER_CONFIGMAP:
                continue
            namespace = str(cm["metadata"].get("namespace", ""))
            ttl = persistence(self.store, namespace).ttl_seconds()
            if ttl is not None:
                forgotten += self.archive.delete_expired(ttl, namespace)
        return forgotten
