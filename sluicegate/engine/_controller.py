"""The workflow controller part of the local stack.

The workflow controller part of the local stack: watches Workflows and CronWorkflows in the store and
reconciles them.

Called by `sluice up` (as a `Part`) and by `sluicegate.engine.testing`. One thread watches the store's
change feed, one loop reconciles dirty workflows: each reconcile is one `Operation` inside a store
transaction, then the launches/kills it asked for. On start every unfinished workflow is reconciled, so a
controller killed with `kill -9` carries on from the stored status.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from starlette.routing import BaseRoute

from contract import SENDER_SECRETS
from sluicegate.engine import _memo as memo
from sluicegate.engine._archiving import Archiver
from sluicegate.engine._cron import CronScheduler
from sluicegate.engine._executor import Executor
from sluicegate.engine._gc import Collector
from sluicegate.engine._metrics import MetricsRegistry
from sluicegate.engine._operate import Operation
from sluicegate.engine._probes import WAITING_FOR_READINESS, Prober, readiness_probe, unsupported
from sluicegate.engine._sync import LockIndex
from sluicegate.errors import NotFoundError, SluiceError
from sluicegate.part import StackContext
from sluicegate.store import Store, WorkflowArchive

__all__ = ["WorkflowController"]

log = logging.getLogger(__name__)
Key = tuple[str, str]


class WorkflowController:
    """Runs Workflows stored in the object store with Argo's semantics (a `Part` named `workflow-controller`)."""

    name = "workflow-controller"

    def __init__(self) -> None:
        self._store: Store | None = None
        self._executor: Executor | None = None
        self._cron: CronScheduler | None = None
        self._event = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._dirty: set[Key] = set()
        self._timers: dict[Key, float] = {}
        # Versions this controller's passes left (wrote, or read and kept), not yet seen on the change feed,
        # and the newest change the feed has seen: a pass goes as far as the workflow can go now, so a
        # version a pass left needs no pass of its own (half the passes per step); results, timers and
        # anyone else's change still queue one.
        self._own: set[int] = set()
        self._seen = 0
        self._threads: list[threading.Thread] = []
        self._reconciles = 0
        self._locks = LockIndex()
        self._gc: Collector | None = None
        self._archiver: Archiver | None = None
        self._prober = Prober(self._daemon_ready, self._exec_probe)
        self.metrics = MetricsRegistry()

    # -- Part ---------------------------------------------------------------------------------------
    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Start the launcher, the watcher and the reconcile loop; returns no endpoints."""
        self._store = ctx.store
        secrets = ctx.secrets

        def secret(name: str, key: str) -> str:
            if name in SENDER_SECRETS:  # they would let a step forge events: never a step's to read
                raise SluiceError(
                    f"Secret {name!r} authenticates senders to the stack's event sources; steps cannot read it",
                    where=f"secretKeyRef {name}/{key}",
                    fix="keep the value in a Secret of your own (sluice apply or sluice secret set) by another name",
                )
            return str(secrets.get(name, key))

        self._executor = Executor(ctx.settings.home, ctx.store, self._wake_all, secret, ctx.settings.envs_dir)
        self._executor.start()
        self._cron = CronScheduler(ctx.store)
        since = ctx.store.head()
        self._locks = LockIndex.from_store(ctx.store)
        self._gc = Collector(ctx.settings.home, ctx.store)
        self._archiver = Archiver(ctx.store, WorkflowArchive(ctx.store.path))
        for wf in ctx.store.list("Workflow"):
            self._gc.schedule(wf)
            self._archive(wf)  # finished while the controller was down
            if (wf.get("status") or {}).get("phase") not in ("Succeeded", "Failed", "Error"):
                meta = wf["metadata"]
                self._dirty.add((meta.get("namespace", ""), meta["name"]))
        self._gc.start()
        self._threads = [
            threading.Thread(target=self._watch, args=(since,), name="wf-watch", daemon=True),
            threading.Thread(target=self._loop, name="wf-controller", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self._event.set()
        return {}

    def stop(self) -> None:
        """Stop the loop and kill running steps (idempotent)."""
        self._stop.set()
        self._prober.stop()
        self._event.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
        if self._executor is not None:
            self._executor.stop()
            self._executor = None
        if self._archiver is not None:
            self._archiver.archive.close()
            self._archiver = None

    def status(self) -> dict[str, Any]:
        """Running steps and reconcile count."""
        running = self._executor.running_count() if self._executor else 0
        return {"running_steps": running, "reconciles": self._reconciles, "alive": bool(self._threads)}

    def routes(self) -> list[BaseRoute]:
        """`GET /api/v1/sluice/metrics`: the workflows' custom metrics for Prometheus (the API serves the rest)."""
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        def metrics(request: Request) -> PlainTextResponse:
            return PlainTextResponse(self.metrics.render(), media_type="text/plain; version=0.0.4")

        return [Route("/api/v1/sluice/metrics", metrics, methods=["GET"])]

    # -- loop ---------------------------------------------------------------------------------------
    def _wake_all(self) -> None:
        self._event.set()

    def _watch(self, since: int) -> None:
        store = self._store
        assert store is not None
        while not self._stop.is_set():
            changes = store.wait(since, 0.5, kinds=("Workflow", "CronWorkflow"))
            if not changes:
                continue
            since = changes[-1].seq
            woken = False
            with self._lock:
                self._seen = since
                for change in changes:
                    if change.seq in self._own:
                        self._own.discard(change.seq)
                    elif change.kind == "Workflow":
                        self._dirty.add((change.namespace, change.name))
                        woken = True
            if woken:
                self._event.set()

    def _loop(self) -> None:
        next_cron = 0.0
        while not self._stop.is_set():
            now = time.time()
            timeout = 1.0
            with self._lock:
                for key, at in list(self._timers.items()):
                    if at <= now:
                        self._dirty.add(key)
                        del self._timers[key]
                    else:
                        timeout = min(timeout, at - now)
            if self._executor is not None:
                for ns, wf in self._executor.pending_workflows():
                    with self._lock:
                        self._dirty.add((ns, wf))
            with self._lock:
                dirty, self._dirty = self._dirty, set()
            for key in sorted(dirty):
                try:
                    self._reconcile(*key)
                except Exception:  # e.g. the database stayed locked: try again shortly, keep the loop alive
                    log.exception("reconcile of %s/%s failed; retrying", *key)
                    with self._lock:
                        self._timers[key] = time.time() + 1.0
            if self._gc is not None:
                try:
                    self._gc.run(time.time())
                except Exception:  # a failed clean-up must not stop the controller
                    log.exception("garbage collection failed")
                gc_at = self._gc.next_due()
                if gc_at is not None:
                    timeout = min(timeout, max(0.0, gc_at - now))
            if self._archiver is not None:
                try:
                    self._archiver.expire(now)
                except Exception:  # a failed clean-up must not stop the controller
                    log.exception("expiring archived workflows failed")
            if now >= next_cron and self._cron is not None:
                try:
                    self._cron.tick()
                except Exception:  # a broken CronWorkflow must not stop the controller
                    log.exception("cron tick failed")
                next_cron = now + 1.0
            with self._lock:
                if self._dirty:
                    continue
            self._event.wait(max(0.0, min(timeout, next_cron - time.time(), 1.0)))
            self._event.clear()

    def _metrics_errors(self, namespace: str, name: str, errors: list[str]) -> None:
        """Record metrics that could not be emitted as the workflow's `MetricsError` condition, as Argo does."""

        def add(doc: dict[str, Any]) -> dict[str, Any]:
            conditions = doc.setdefault("status", {}).setdefault("conditions", [])
            for message in errors:
                condition = {"type": "MetricsError", "status": "True", "message": message}
                if condition not in conditions:
                    conditions.append(condition)
            return doc

        if self._store is None:
            return
        try:
            self._store.mutate("Workflow", namespace, name, add)
        except NotFoundError:
            return

    def _daemon_ready(self, key: tuple[str, str, str]) -> None:
        """A daemon step's readiness probe passed: it now counts as started for its siblings."""
        namespace, name, node_id = key
        store = self._store
        if store is None:
            return

        def ready(doc: dict[str, Any]) -> dict[str, Any]:
            node = ((doc.get("status") or {}).get("nodes") or {}).get(node_id)
            if node is not None and node.get("daemoned") is False and node.get("phase") == "Running":
                node["daemoned"] = True
                if node.get("message") == WAITING_FOR_READINESS:
                    node.pop("message")
            return doc

        try:
            store.mutate("Workflow", namespace, name, ready)
        except NotFoundError:
            return

    def _exec_probe(self, key: tuple[str, str, str], command: list[str], timeout: float) -> bool:
        """Run an exec readiness probe's command in the daemon step `key`; whether it passed."""
        executor = self._executor
        return executor is not None and executor.exec_probe(key, command, timeout)

    def _archive(self, doc: dict[str, Any]) -> None:
        """Archive a completed workflow (a failure is logged: the live workflow is unaffected)."""
        if self._archiver is None:
            return
        try:
            self._archiver.consider(doc)
        except Exception:
            log.exception("archiving %s failed", (doc.get("metadata") or {}).get("name"))

    def _wake_waiters(self, freed: set[str]) -> None:
        """Reconcile the workflows queued on locks that were just let go (Argo's lock release notification)."""
        if freed:
            with self._lock:
                self._dirty |= self._locks.waiting_on(freed)

    def _passed(self, stored: dict[str, Any]) -> None:
        """Note the version a pass left (written or read) so the change feed does not queue a pass for it."""
        version = str((stored.get("metadata") or {}).get("resourceVersion") or "")
        if version.isdigit():
            with self._lock:
                if int(version) > self._seen:  # else the feed already passed it (and queued a pass: harmless)
                    self._own.add(int(version))

    def _reconcile(self, namespace: str, name: str) -> None:
        store, executor = self._store, self._executor
        if store is None or executor is None:
            return
        self._reconciles += 1
        results = executor.take_results(namespace, name)
        holder: list[Operation] = []

        def operate(doc: dict[str, Any]) -> dict[str, Any]:
            op = Operation(doc, store, lambda nid: executor.is_active((namespace, name, nid)), results, self._locks)
            holder.append(op)
            try:
                op.operate()
            except Exception as e:  # an engine bug marks the workflow Error instead of looping
                log.exception("reconcile of %s/%s failed", namespace, name)
                status = doc.setdefault("status", {})
                status["phase"] = "Error"
                status["message"] = f"internal error in the local engine: {type(e).__name__}: {e} (see the stack log)"
            return doc

        try:
            written = store.mutate("Workflow", namespace, name, operate, durable=False)
        except NotFoundError:
            executor.kill_workflow(namespace, name)
            self._wake_waiters(self._locks.remove(namespace, name))
            if self._gc is not None:
                self._gc.forget(namespace, name)
            return
        if not holder:
            return
        op = holder[-1]
        self._passed(written)
        self._wake_waiters(self._locks.update(op.wf))
        if self._gc is not None:
            self._gc.schedule(op.wf)
        errors = [e for emission in op.emissions for e in self.metrics.emit(emission)]
        if errors:
            self._metrics_errors(namespace, name, errors)
        for cache, key, node_id, outputs in op.cache_writes:
            memo.write(store, namespace, cache, key, node_id, outputs)
        for job in op.launches:
            executor.launch(job)
            probe = readiness_probe(job.template)
            if probe is not None and unsupported(probe) is None:
                ports = list((job.template.get("container") or job.template.get("script") or {}).get("ports") or [])
                self._prober.watch((namespace, name, job.node_id), probe, ports)
        for node_id, message in op.kills:
            executor.kill((namespace, name, node_id), message)
        if op.wake_at is not None:
            with self._lock:
                self._timers[(namespace, name)] = op.wake_at
        self._archive(op.wf)
