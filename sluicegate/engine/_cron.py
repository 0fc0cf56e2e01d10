"""CronWorkflows: scheduled Workflow creation.

CronWorkflows: create Workflows on `schedules` (croniter, `timezone`), honouring `suspend`,
`concurrencyPolicy` (Allow, Forbid, Replace) and `startingDeadlineSeconds`; keeps `status.active`,
`lastScheduledTime`, `succeeded`, `failed`.

History limits, as Argo's cron operator enforces them on every pass: of the finished Workflows it owns (an
ownerReference with its uid) labelled with its name, the newest `successfulJobsHistoryLimit` (default 3)
Succeeded and `failedJobsHistoryLimit` (default 1) Failed/Error ones (newest by `finishedAt`) are kept; older
ones are deleted from the store with their steps' folders and logs, as a ttlStrategy deletion does, so the
controller's collector still deletes their artifacts (the archive keeps its copy).

`stopStrategy.expression` (`_cronstop`): checked after each finished Workflow is counted and when a schedule fires;
when it holds the CronWorkflow is marked Stopped (phase and completed label) and runs no more. A bad expression is a
`SpecError` condition at the schedule (no run), and a warning in the log when counting.

Called by `_controller` about once a second. A missed schedule runs once (the newest), and only when it is
within `startingDeadlineSeconds` (when set), as Argo does.
"""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from sluicegate.engine._cronstop import STOPPED, set_condition, set_stopped, stop_reached
from sluicegate.engine._gc import delete_workflow
from sluicegate.errors import ManifestError, SluiceError
from sluicegate.lang import format_time, parse_time
from sluicegate.store import Store

__all__ = ["CronScheduler", "due_time", "history_limit"]

log = logging.getLogger(__name__)
_LABEL = "workflows.argoproj.io/cron-workflow"
_FINISHED = ("Succeeded", "Failed", "Error")


def due_time(spec: dict[str, Any], last: datetime, now: datetime) -> datetime | None:
    """The newest schedule time in `(last, now]`, or None."""
    tz = ZoneInfo(spec["timezone"]) if spec.get("timezone") else UTC
    schedules = list(spec.get("schedules") or ([spec["schedule"]] if spec.get("schedule") else []))
    best: datetime | None = None
    for expr in schedules:
        it = croniter(expr, last.astimezone(tz))
        candidate: datetime | None = None
        for _ in range(10000):
            nxt = it.get_next(datetime)
            if nxt > now:
                break
            candidate = nxt
        if candidate is not None and (best is None or candidate > best):
            best = candidate
    return best.astimezone(UTC) if best else None


class CronScheduler:
    """Creates Workflows for due CronWorkflows."""

    def __init__(self, store: Store, home: Path | None = None) -> None:
        self.store = store
        self.home = home if home is not None else Path(store.path).parent  # the store is SLUICE_HOME/store.db

    def tick(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Check every CronWorkflow once; returns the Workflows created."""
        now = now or datetime.now(UTC)
        created = []
        for cron in self.store.list("CronWorkflow"):
            try:
                wf = self._one(cron, now)
            except SluiceError:
                continue
            if wf is not None:
                created.append(wf)
        return created

    def _one(self, cron: dict[str, Any], now: datetime) -> dict[str, Any] | None:
        meta, spec = cron["metadata"], cron.get("spec") or {}
        ns, name = meta.get("namespace", ""), meta["name"]
        uid = meta.get("uid")
        mine = [wf for wf in self.store.list("Workflow", ns, {_LABEL: name}) if not uid or _owned_by(wf, uid)]
        active = [wf for wf in mine if (wf.get("status") or {}).get("phase") not in _FINISHED]
        cron = self._record(cron, active)
        status = cron.get("status") or {}
        self._enforce_history(spec, ns, mine)
        if spec.get("suspend"):
            return None
        last = parse_time(status.get("lastScheduledTime") or meta.get("creationTimestamp") or format_time(now))
        due = due_time(spec, last, now)
        if due is None:
            return None
        deadline = spec.get("startingDeadlineSeconds")
        policy = spec.get("concurrencyPolicy") or "Allow"
        skip = deadline is not None and (now - due).total_seconds() > float(deadline)
        stop_error: str | None = None
        stop = False
        if not skip:  # Argo checks the stopStrategy when the schedule fires, before the concurrency policy
            try:
                stop = stop_reached(cron)
            except ManifestError as e:
                stop_error = f"failed to check CronWorkflow '{name}' stopping condition: {e.what}"
            skip = stop or stop_error is not None or status.get("phase") == STOPPED
        if not skip and active and policy == "Forbid":
            skip = True
        if not skip and active and policy == "Replace":
            for wf in active:
                self.store.mutate("Workflow", ns, wf["metadata"]["name"], _terminate)
        created = None
        if not skip:
            created = self.store.create(_workflow(cron, due))

        def mark(doc: dict[str, Any]) -> dict[str, Any]:
            st = doc.setdefault("status", {})
            st["lastScheduledTime"] = format_time(due)
            set_condition(doc, "SpecError", stop_error)
            if stop:
                set_stopped(doc)
            if created is not None:
                st["phase"] = "Active"
                st.setdefault("active", []).append(
                    {
                        "kind": "Workflow",
                        "namespace": ns,
                        "name": created["metadata"]["name"],
                        "uid": created["metadata"]["uid"],
                    }
                )
            return doc

        self.store.mutate("CronWorkflow", ns, name, mark)
        return created

    def _enforce_history(self, spec: dict[str, Any], ns: str, mine: list[dict[str, Any]]) -> None:
        succeeded = [wf for wf in mine if (wf.get("status") or {}).get("phase") == "Succeeded"]
        failed = [wf for wf in mine if (wf.get("status") or {}).get("phase") in ("Failed", "Error")]
        for group, field, default in (
            (succeeded, "successfulJobsHistoryLimit", 3),
            (failed, "failedJobsHistoryLimit", 1),
        ):
            for wf in _beyond(group, history_limit(spec, field, default)):
                if delete_workflow(self.home, self.store, ns, wf["metadata"]["name"]):  # as a TTL deletion
                    log.info("deleted workflow %s/%s (CronWorkflow %s)", ns, wf["metadata"]["name"], field)

    def _record(self, cron: dict[str, Any], active: list[dict[str, Any]]) -> dict[str, Any]:
        """Drop finished Workflows from `status.active`, count them, check the stopStrategy; the updated doc."""
        meta = cron["metadata"]
        ns, name = meta.get("namespace", ""), meta["name"]
        status = cron.get("status") or {}
        names = {wf["metadata"]["name"] for wf in active}
        listed = status.get("active") or []
        gone = [ref for ref in listed if ref.get("name") not in names]
        if not gone:
            return cron
        finished = [self.store.try_get("Workflow", ns, ref["name"]) for ref in gone]
        phases = [(wf.get("status") or {}).get("phase") for wf in finished if wf]

        def update(doc: dict[str, Any]) -> dict[str, Any]:
            st = doc.setdefault("status", {})
            st["active"] = [ref for ref in st.get("active") or [] if ref.get("name") in names]
            for phase in phases:  # as Argo: count each finished Workflow, then check the stopStrategy
                if phase == "Succeeded":
                    st["succeeded"] = int(st.get("succeeded", 0)) + 1
                elif phase in ("Failed", "Error"):
                    st["failed"] = int(st.get("failed", 0)) + 1
                else:
                    continue
                try:
                    if stop_reached(doc):
                        set_stopped(doc)
                except ManifestError as e:
                    log.warning("CronWorkflow %s/%s: %s", ns, name, e)
            return doc

        return self.store.mutate("CronWorkflow", ns, name, update)


def history_limit(spec: dict[str, Any], field: str, default: int) -> int:
    """How many finished Workflows of one kind a CronWorkflow keeps: `spec[field]` when >= 0, else `default`."""
    value = spec.get(field)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ManifestError(
            f"{value!r} is not an integer", where=f"CronWorkflow spec.{field}", fix="give a whole number such as 3"
        )
    return value if value >= 0 else default


def _beyond(workflows: list[dict[str, Any]], keep: int) -> list[dict[str, Any]]:
    """The workflows past the newest `keep` (newest by `status.finishedAt`, as Argo sorts them)."""
    if keep >= len(workflows):
        return []
    ordered = sorted(workflows, key=lambda wf: str((wf.get("status") or {}).get("finishedAt") or ""), reverse=True)
    return ordered[keep:]


def _owned_by(wf: dict[str, Any], uid: str) -> bool:
    """Whether a Workflow belongs to the CronWorkflow of `uid` (its ownerReference, as Argo groups them)."""
    refs = (wf.get("metadata") or {}).get("ownerReferences") or []
    return any(ref.get("kind") == "CronWorkflow" and ref.get("uid") == uid for ref in refs)


def _terminate(doc: dict[str, Any]) -> dict[str, Any]:
    doc.setdefault("spec", {})["shutdown"] = "Terminate"
    return doc


def _workflow(cron: dict[str, Any], due: datetime) -> dict[str, Any]:
    meta = cron["metadata"]
    spec = cron.get("spec") or {}
    wf_meta = copy.deepcopy(spec.get("workflowMetadata") or {})
    labels = {**(wf_meta.get("labels") or {}), _LABEL: meta["name"]}
    annotations = {
        **(wf_meta.get("annotations") or {}),
        "workflows.argoproj.io/scheduled-time": format_time(due),
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": f"{meta['name']}-{int(due.timestamp())}",
            "namespace": meta.get("namespace", ""),
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "CronWorkflow",
                    "name": meta["name"],
                    "uid": meta.get("uid", ""),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": copy.deepcopy(spec.get("workflowSpec") or {}),
    }
