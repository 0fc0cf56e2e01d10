"""The local rollout controller: a reconcile loop over the store's Rollouts, their model servers and splitters.

Called by the `rollouts` stack part (`_part`) and by tests (over a temp Store). Each tick, for every Rollout:
run the canary state machine (`_canary.advance`) on a copy of its status, store the new status (skipped when
someone else changed the Rollout meanwhile; the next tick redoes it), then route traffic as the stored status
says and drain-then-stop the model servers no longer referenced. AnalysisRuns run in `_analysis`; each Rollout's
splitter and model servers, and the Service names that reach them, are a `_services.Runtime`. Everything needed
to resume lives in the store, so a restarted controller carries on at the same step and weight.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sluicegate.documents import RolloutAnalysis, RolloutDoc, RolloutStatus, parse_analysis_run, parse_rollout
from sluicegate.errors import ConflictError, SluiceError
from sluicegate.rollouts._analysis import AnalysisRunner, build_run
from sluicegate.rollouts._backends import ModelProcess, mark_aborted, mark_champion
from sluicegate.rollouts._canary import REVISION_ANNOTATION, advance, current_revision, pod_hash
from sluicegate.rollouts._explain import is_missing_model
from sluicegate.rollouts._providers import Providers
from sluicegate.rollouts._services import Runtime, resolve_services
from sluicegate.rollouts._splitter import Splitter
from sluicegate.store import Store

__all__ = ["RolloutController"]

Doc = dict[str, Any]
#: The kinds whose changes start a pass at once: what `tick` reads (other writes, e.g. a workflow's steps,
#: wait for the next timed pass, as they cannot change what a Rollout does).
_WATCHED_KINDS = ("Rollout", "AnalysisRun", "AnalysisTemplate", "ClusterAnalysisTemplate")
#: How long a model server whose model is not registered waits before it looks again.
_RETRY_S = 30.0


class RolloutController:
    """Reconciles every Rollout in `store`.

    Args:
        store: the object store.
        home: SLUICE_HOME (logs, splitter ports, Prometheus targets).
        tracking_uri: MLflow tracking URI for the model servers and the champion/aborted bookkeeping.
        prometheus_url: the local Prometheus (None: prometheus metrics measure as Error).
        on_service: called with (rollout name, splitter URL) when a splitter starts.
        on_backends: called with the whole map `<rollout>-stable`/`<rollout>-canary` -> the URL of the model
            server behind that Service whenever it changes (a role without a server is left out).
    """

    def __init__(
        self,
        store: Store,
        home: Path,
        tracking_uri: str,
        prometheus_url: str | None = None,
        on_service: Callable[[str, str], None] | None = None,
        on_backends: Callable[[dict[str, str]], None] | None = None,
    ) -> None:
        self.store = store
        self.home = home
        self.tracking_uri = tracking_uri
        self.prometheus_url = prometheus_url
        self.on_service = on_service
        self.on_backends = on_backends
        self._backends: dict[str, str] = {}
        self.analysis = AnalysisRunner(store, Providers(prometheus_url, self.resolve, home))
        self._runtimes: dict[tuple[str, str], Runtime] = {}
        self._retiring: set[ModelProcess] = set()  # draining before they stop; stop() must not orphan them
        self._retiring_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ports_file = home / "rollouts" / "splitter-ports.json"
        self.targets_file = home / "prometheus" / "targets" / "rollouts.json"
        self._targets = ""
        self.errors: dict[str, str] = {}
        self.woken: Counter[str] = Counter()  # the changes that started a pass, by kind (others: every 0.25 s)

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Reconcile once (so splitters exist), then keep reconciling in a thread."""
        self.tick()
        self._thread = threading.Thread(target=self._loop, name="rollout-controller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop, the analysis runs, the splitters and every model server."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.analysis.stop()
        for rt in self._runtimes.values():
            rt.splitter.stop()
            for proc in rt.procs.values():
                proc.stop()
        self._runtimes.clear()
        with self._retiring_lock:
            retiring, self._retiring = list(self._retiring), set()
        for proc in retiring:
            proc.stop()

    def services(self) -> dict[str, str]:
        """Rollout name -> URL of its traffic splitter."""
        return {rt.name: rt.splitter.url for rt in self._runtimes.values()}

    def pids(self) -> list[int]:
        """Process groups of the model servers."""
        return [p.proc.pid for rt in list(self._runtimes.values()) for p in list(rt.procs.values())]

    def _loop(self) -> None:
        since = self.store.head()
        while not self._stop.is_set():
            try:
                changes = self.store.wait(since, 0.25, kinds=_WATCHED_KINDS)
                if changes:
                    since = changes[-1].seq
                    self.woken.update(c.kind for c in changes)
                self.tick()
            except Exception:
                self._log(f"controller tick: {traceback.format_exc()}")
                self._stop.wait(1.0)

    def _log(self, text: str) -> None:
        log = self.home / "logs" / "rollouts" / "controller.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as f:
            f.write(text.rstrip() + "\n")

    def tick(self) -> None:
        """Reconcile every Rollout once and start runners for pending AnalysisRuns."""
        seen = set()
        for rollout in self.store.list("Rollout"):
            key = (rollout["metadata"]["namespace"], rollout["metadata"]["name"])
            seen.add(key)
            try:
                self.reconcile(rollout)
                self.errors.pop("/".join(key), None)
            except SluiceError as e:
                self.errors["/".join(key)] = e.message
                self._set_message(rollout, e.message)
            except Exception as e:  # one broken Rollout must not stop the others
                self.errors["/".join(key)] = f"{type(e).__name__}: {e}"
                self._log(f"reconcile {'/'.join(key)}: {traceback.format_exc()}")
        for key in [k for k in self._runtimes if k not in seen]:
            rt = self._runtimes.pop(key)
            rt.splitter.stop()
            for proc in rt.procs.values():
                proc.stop()
        self.analysis.sync()
        statuses = {key: self._status(rt) for key, rt in self._runtimes.items()}
        self._write_targets(statuses)
        self._publish_backends(statuses)

    # -- one Rollout --------------------------------------------------------------------------------
    def reconcile(self, doc: Doc) -> None:
        """One tick for the stored Rollout `doc`: advance its status, store it, then route and clean up.

        Raises:
            ManifestError: a field of the Rollout has the wrong shape (the message names it).
        """
        rollout = parse_rollout(doc)
        rt = self._runtime(rollout)
        before = rollout.status.to_doc()
        tick = _Tick(self, rt, rollout)
        status = advance(rollout, rollout.status.model_copy(deep=True), tick)
        new = status.to_doc()
        if new != before:
            rv = rollout.metadata.resource_version
            written: list[bool] = []

            def write(doc: Doc) -> Doc | None:
                if doc["metadata"].get("resourceVersion") != rv:
                    return None  # changed meanwhile (an action, a new spec): decide again next tick
                doc["status"] = new
                revision = current_revision(rollout, status)  # same spec: the resourceVersion is unchanged
                if revision is not None:  # written with the status that observes the spec, as Argo does
                    doc["metadata"].setdefault("annotations", {})[REVISION_ANNOTATION] = str(revision)
                written.append(True)
                return doc

            self.store.mutate("Rollout", rt.ns, rt.name, write)
            if not written:
                return
            for fn in tick.effects:
                fn()
            self._terminate_stale(rt, status)
        self._route(rt, status)

    def _terminate_stale(self, rt: Runtime, st: RolloutStatus) -> None:
        """Terminate this Rollout's unfinished AnalysisRuns that its status no longer references."""
        current = {ref.name for ref in st.canary.runs()}
        for run in map(parse_analysis_run, self.store.list("AnalysisRun", rt.ns, {"rollout": rt.name})):
            name = run.metadata.name
            if name in current or (run.status.phase or "Pending") not in ("Pending", "Running") or run.spec.terminate:
                continue

            def terminate(doc: Doc) -> Doc:
                doc["spec"]["terminate"] = True
                return doc

            self.store.mutate("AnalysisRun", rt.ns, name, terminate)

    def _runtime(self, rollout: RolloutDoc) -> Runtime:
        ns, name = rollout.metadata.namespace, rollout.metadata.name
        rt = self._runtimes.get((ns, name))
        if rt is None:
            ports = self._ports()
            rt = Runtime(ns, name, Splitter(name, ports.get(f"{ns}/{name}", 0)))
            self._runtimes[(ns, name)] = rt
            ports[f"{ns}/{name}"] = rt.splitter.port
            self._ports_file.parent.mkdir(parents=True, exist_ok=True)
            self._ports_file.write_text(json.dumps(ports))
            if self.on_service is not None:
                self.on_service(name, rt.splitter.url)
        return rt

    def _ports(self) -> dict[str, int]:
        try:
            return dict(json.loads(self._ports_file.read_text()))
        except (OSError, ValueError):
            return {}

    def _route(self, rt: Runtime, st: RolloutStatus) -> None:
        stable, canary = st.stable_model, st.canary_model
        sp = rt.procs.get(stable) if stable else None
        cp = rt.procs.get(canary) if canary and not st.abort else None
        stable_b = sp.backend if sp is not None and sp.state == "ready" else None
        canary_b = cp.backend if cp is not None and cp.state == "ready" else None
        if stable and stable_b is None:
            canary_b = None  # never send the canary's share... or everything, to a canary while stable loads
        rt.splitter.set_route(stable_b, canary_b, st.weight or 0)
        keep = {u for u, b in ((stable, stable_b or sp), (canary, cp)) if u and b is not None}
        for uri in [u for u in rt.procs if u not in keep]:
            proc = rt.procs.pop(uri)
            threading.Thread(target=self._retire, args=(rt, proc), name="retire", daemon=True).start()

    def _retire(self, rt: Runtime, proc: ModelProcess) -> None:
        with self._retiring_lock:
            self._retiring.add(proc)
        try:
            time.sleep(0.5)  # requests that read the old route just before the swap are now counted in flight
            rt.splitter.drain(proc.backend)
        finally:
            proc.stop()
            with self._retiring_lock:
                self._retiring.discard(proc)

    def _set_message(self, rollout: Doc, message: str) -> None:
        def write(doc: Doc) -> Doc:
            doc.setdefault("status", {})["message"] = message
            return doc

        if _message(rollout) != message:
            self.store.mutate("Rollout", rollout["metadata"]["namespace"], rollout["metadata"]["name"], write)

    # -- helpers for the tick -----------------------------------------------------------------------
    def resolve(self, text: str) -> str:
        """Map cluster service URLs in `text` (`http://<rollout>-canary.<ns>.svc[:port]/...`) to local ones."""
        return resolve_services(text, self._runtimes.values(), self._status)

    def service_backends(self) -> dict[str, str]:
        """`<rollout>-stable`/`<rollout>-canary` -> URL of the model server behind that Service, as last published."""
        return dict(self._backends)

    def _publish_backends(self, statuses: dict[tuple[str, str], RolloutStatus]) -> None:
        backends: dict[str, str] = {}
        for key, rt in self._runtimes.items():
            backends |= rt.backend_urls(statuses[key])
        if backends != self._backends:
            self._backends = backends
            if self.on_backends is not None:
                self.on_backends(dict(backends))

    def _status(self, rt: Runtime) -> RolloutStatus:
        """The stored status of `rt`'s Rollout; empty when it is gone or malformed (reconcile reports that)."""
        doc = self.store.try_get("Rollout", rt.ns, rt.name)
        try:
            return parse_rollout(doc).status if doc is not None else RolloutStatus()
        except SluiceError:
            return RolloutStatus()

    def _write_targets(self, statuses: dict[tuple[str, str], RolloutStatus]) -> None:
        groups = []
        for key, rt in self._runtimes.items():
            st = statuses[key]
            roles = {st.stable_model: "stable", st.canary_model: "canary"}
            for uri, proc in rt.procs.items():
                labels = {"rollout": rt.name, "namespace": rt.ns, "role": roles.get(uri, "old")}
                labels |= {"model_uri": uri, "pod_template_hash": pod_hash(uri)}
                groups.append({"targets": [f"127.0.0.1:{proc.port}"], "labels": labels})
        text = json.dumps(groups, indent=1, sort_keys=True)
        if text == self._targets:
            return
        self.targets_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.targets_file.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.targets_file)
        self._targets = text
        # No reload call: file discovery re-reads the targets within its 1 s refresh (Prometheus runs without
        # --web.enable-lifecycle, so no web page can stop or reload it).


def _message(rollout: Doc) -> str | None:
    """The stored `status.message` of a Rollout whose spec may not parse (that error is what `tick` writes).

    None when the status does not parse either: the write then changes the Rollout only if its message differs
    (`Store.mutate` leaves an unchanged document alone).
    """
    try:
        return RolloutStatus.model_validate(rollout.get("status") or {}).message
    except ValidationError:
        return None


class _Tick:
    """The controller's side of one `advance` call (see `_canary.Tick`)."""

    def __init__(self, controller: RolloutController, rt: Runtime, rollout: RolloutDoc) -> None:
        self.c = controller
        self.rt = rt
        self.rollout = rollout
        self.effects: list[Callable[[], None]] = []
        self.log = controller.home / "logs" / "rollouts" / rt.ns / f"{rt.name}.log"

    def ready(self, model_uri: str) -> tuple[str, str, str]:
        proc = self.rt.procs.get(model_uri)
        if proc is not None and proc.state == "failed" and model_uri in self.rt.ever_ready:
            proc.stop()  # it crashed after serving: start it again
            proc = None
        elif proc is not None and proc.state == "failed" and is_missing_model(proc.error) and proc.age() > _RETRY_S:
            proc.stop()  # its model may be registered by now: look again
            proc = None
        if proc is None:
            safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model_uri)
            log = self.c.home / "logs" / "rollouts" / self.rt.ns / self.rt.name / f"{safe}.log"
            proc = self.rt.procs[model_uri] = ModelProcess(model_uri, self.c.tracking_uri, log)
            self.rt.ever_ready.discard(model_uri)
        state = proc.poll()
        if state == "ready":
            self.rt.ever_ready.add(model_uri)
        return state, proc.error, proc.version

    def run_analysis(self, analysis: RolloutAnalysis, name: str, kind: str) -> None:
        st = self.rollout.status
        hashes = {"Latest": pod_hash(st.canary_model or ""), "Stable": st.stable_rs or ""}
        labels = {"rollout": self.rt.name, "rollout-type": kind, "rollouts-pod-template-hash": hashes["Latest"]}
        run = build_run(self.c.store, self.rollout, analysis, name, labels, hashes)
        with contextlib.suppress(ConflictError):  # created by a tick whose status write lost a race: adopt it
            self.c.store.create(run)

    def analysis_phase(self, name: str) -> tuple[str, str]:
        doc = self.c.store.try_get("AnalysisRun", self.rt.ns, name)
        if doc is None:
            return "Error", f'AnalysisRun "{name}" was deleted'
        status = parse_analysis_run(doc).status
        return status.phase or "Pending", status.message or ""

    def effect(self, fn: Callable[[], None]) -> None:
        self.effects.append(fn)

    def promoted(self, model_uri: str, version: str) -> None:
        proc = self.rt.procs.get(model_uri)
        version = version or (proc.version if proc else "")
        self.effect(lambda: mark_champion(self.c.tracking_uri, model_uri, version, self.log))

    def aborted(self, model_uri: str, version: str, reason: str) -> None:
        proc = self.rt.procs.get(model_uri)
        version = version or (proc.version if proc else "")
        self.effect(lambda: mark_aborted(self.c.tracking_uri, model_uri, version, reason, self.log))
