"""Runs the leaf work of a workflow: container/script steps through the zygote, resource steps in a thread.

Called by `_controller.WorkflowController`: `launch(job)` returns at once; when the step ends a `Result`
(phase, message, outputs) is queued and the controller is woken to fold it into the workflow status.
Every step runs in a sandbox (`_sandbox`: a root file system of its own with the host's system folders
read-only, SLUICE_HOME hidden, its own PID namespace, an unprivileged user) with
`SLUICE_HOME/run/<ns>/<wf>/<nodeId>/tmp` as its private `/tmp`; where the kernel does not allow that, the
node's message says so. With SLUICE_SANDBOX=0, or without the sandbox, a step gets a private `/tmp` only (a
bind mount in a new mount namespace) or, where that is not permitted either, `/tmp` rewritten to that folder
in its command, script and env.
Its combined stdout/stderr goes to `SLUICE_HOME/logs/<ns>/<wf>/<nodeId>.log`. This module keeps the steps'
life cycle (launch, container events, kill, deadlines, adoption); the zygote link is `_launcher`, requests
are built by `_launchrequest`, results read by `_outcome`, steps given up cleared by `_orphans`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from contract import envs_dir
from sluicegate.engine._containers import Container, PodPlan
from sluicegate.engine._grace import sidecar_grace, stop_grace
from sluicegate.engine._jobs import Job, Key, Result
from sluicegate.engine._launcher import Launcher
from sluicegate.engine._launchrequest import RequestBuilder, sandbox_mode
from sluicegate.engine._orphans import Orphans, adoptable_job, kill_containers, run_folder
from sluicegate.engine._outcome import container_said, outcome
from sluicegate.engine._reaper import Reaper
from sluicegate.engine._running import Running, exit_code, live_shim
from sluicegate.engine._stepexec import exec_probe
from sluicegate.engine._zygote import private_tmp_supported
from sluicegate.errors import SluiceError
from sluicegate.store import Store

__all__ = ["Executor"]


class Executor:
    """Launches jobs and reports their results.

    Args:
        home: SLUICE_HOME (logs, run folders, artifacts).
        store: the object store (resource steps act on it).
        notify: called (from any thread) after a result is queued.
        secrets: resolves `secretKeyRef`s: `(name, key) -> value`.
        envs: the built environments (`Settings.envs_dir`; by default the machine's, `contract.envs_dir()`).
    """

    def __init__(
        self,
        home: Path,
        store: Store,
        notify: Callable[[], None],
        secrets: Callable[[str, str], str] | None = None,
        envs: Path | None = None,
    ) -> None:
        self.home = home
        self.store = store
        self.notify = notify
        self.secrets = secrets
        self.repo = home / "artifacts"
        self._lock = threading.Lock()
        self._running: dict[Key, Running] = {}
        self._by_request: dict[str, tuple[Key, str]] = {}  # launch request -> (job, container)
        self._results: dict[Key, Result] = {}
        self._progress: dict[Key, Result] = {}  # containerSet steps still running: their containers' states
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sluice-step")
        self._stopping = threading.Event()
        self._launcher = Launcher(self._on_event, self._launcher_died, self._stopping)
        self.private_tmp = private_tmp_supported() and os.environ.get("SLUICE_PRIVATE_TMP", "1") != "0"
        self.sandbox, self.warning = sandbox_mode(home, self.private_tmp)
        self._requests = RequestBuilder(home, envs or envs_dir(), store, secrets, self.sandbox, self.private_tmp)
        self._reaper = Reaper(home / "run" / ".trash", lambda: self.running_count() > 0)
        self._orphans = Orphans(self._lock, lambda key: key in self._running, self._reaper)

    # -- life cycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the zygote, the deadline watcher and the reaper of finished steps' root folders."""
        self._reaper.start()
        self._launcher.spawn()
        threading.Thread(target=self._watch_deadlines, name="sluice-deadlines", daemon=True).start()

    def stop(self) -> None:
        """Kill running steps and the zygote."""
        self._stopping.set()
        for key in list(self._running):
            self.kill(key, "controller stopped", grace=0)
        self._launcher.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._orphans.sweep(throttle=False)
        self._reaper.stop()

    @property
    def _proc(self) -> subprocess.Popen[bytes] | None:
        """The zygote's process (None when stopped)."""
        return self._launcher.proc

    # -- queries ------------------------------------------------------------------------------------
    def is_active(self, key: Key) -> bool:
        """Whether the job is running or its result waits to be taken; adopts a step an earlier controller ran."""
        with self._lock:
            if key in self._running or key in self._results:
                return True
        return self._adopt(key)

    def _adopt(self, key: Key) -> bool:
        """Take over a step whose shim outlived its controller (as a pod outlives Argo's); False if it is gone.

        One it cannot follow is given up (`_orphans`): what of it runs is killed, its root folder removed after.
        """
        node_dir = run_folder(self.home, key)
        if node_dir is None or self._stopping.is_set() or not node_dir.is_dir():
            return False
        job = adoptable_job(node_dir)
        code, pid = exit_code(node_dir), live_shim(node_dir)
        if job is None or (code is None and pid is None):
            kill_containers(node_dir)
            self._orphans.add(key, node_dir)
            return False
        run = Running(job, node_dir / "tmp", node_dir / "stdout", pid=pid, adopted=True)
        run.paths = self._requests.adopted_paths(job, run.tmp)
        with self._lock:
            if key in self._running or key in self._results:
                return True
            self._running[key] = run
        return True

    def take_results(self, namespace: str, workflow: str) -> list[Result]:
        """Remove and return the results of one workflow."""
        with self._lock:
            keys = [k for k in self._results if k[0] == namespace and k[1] == workflow]
            moving = [k for k in self._progress if k[0] == namespace and k[1] == workflow]
            return [self._results.pop(k) for k in keys] + [self._progress.pop(k) for k in moving]

    def pending_workflows(self) -> set[tuple[str, str]]:
        """Workflows with results waiting to be folded in."""
        with self._lock:
            return {(k[0], k[1]) for k in [*self._results, *self._progress]}

    def kill_workflow(self, namespace: str, workflow: str) -> None:
        """Kill every running job of a workflow (it was deleted)."""
        with self._lock:
            keys = [k for k in self._running if k[0] == namespace and k[1] == workflow]
        for key in keys:
            self.kill(key, "workflow deleted", grace=0)

    def running_count(self) -> int:
        """How many jobs are running now."""
        with self._lock:
            return len(self._running)

    # -- actions ------------------------------------------------------------------------------------
    def launch(self, job: Job) -> None:
        """Start a job in the background; its result arrives through `take_results`."""
        with self._lock:
            if job.key in self._running or job.key in self._results:
                return
            node_dir = self.home / "run" / job.namespace / job.workflow / job.node_id
            self._running[job.key] = Running(job, node_dir / "tmp", node_dir / "stdout")
            self._orphans.forget(job.key)
        if job.kind == "pod":  # what a restarted controller needs to adopt the step
            node_dir.mkdir(parents=True, exist_ok=True)
            for stale in ("exit", "shim"):
                (node_dir / stale).unlink(missing_ok=True)
            (node_dir / "job.json").write_text(json.dumps(dataclasses.asdict(job)))
        if job.kind in ("resource", "http"):
            # these may wait a long time for a condition: never let them hold a launcher thread
            threading.Thread(target=self._start, args=(job,), name=f"sluice-{job.kind}", daemon=True).start()
        else:
            self._pool.submit(self._start, job)

    def kill(self, key: Key, message: str, grace: float | None = None) -> None:
        """Stop a running job; its result becomes Failed with `message`.

        SIGTERM, then SIGKILL `grace` seconds later (default: the step's grace period, `_grace.stop_grace`).
        """
        with self._lock:
            run = self._running.get(key)
            if run is None:
                return
            run.killed = message
            grace = stop_grace(run.job.grace) if grace is None else grace
            pids = {*run.pids.values(), *([run.pid] if run.pid is not None else [])}
        for pid in pids:
            self._signal(pid, grace)

    def _signal(self, pid: int, grace: float) -> None:
        """SIGTERM a container's process group and SIGKILL it `grace` seconds later (at once without grace)."""
        try:
            os.killpg(pid, signal.SIGTERM if grace else signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        if grace:
            timer = threading.Timer(grace, self._force_kill, args=(pid,))
            timer.daemon = True
            timer.start()

    @staticmethod
    def _force_kill(pid: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)

    def _finish(self, result: Result) -> None:
        with self._lock:
            self._running.pop(result.key, None)
            self._progress.pop(result.key, None)
            self._results[result.key] = result
        self.notify()

    def _report(self, run: Running) -> None:
        """A containerSet's container started or ended: its `Container` node shows it (as Argo's pod watch does)."""
        with self._lock:
            if run.plan is None or run.collecting or self._running.get(run.job.key) is not run:
                return
            self._progress[run.job.key] = Result(run.job.key, "Running", containers=run.plan.states())
        self.notify()

    # -- pods ---------------------------------------------------------------------------------------
    def _start(self, job: Job) -> None:
        try:
            if job.kind == "resource":
                from sluicegate.engine._resource import run_resource

                self._finish(run_resource(self.store, job, self._stopping))
                return
            if job.kind == "http":
                from sluicegate.engine._http import run_http

                self._finish(run_http(job, self.secrets))
                return
            if job.kind == "data":
                from sluicegate.engine._data import run_data

                self._finish(run_data(job, self.repo))
                return
            run = self._running[job.key]
            run.plan = PodPlan(job.template)
            ready = run.plan.take_ready()
        except SluiceError as e:
            self._finish(Result(job.key, "Error", e.message))
            return
        except Exception as e:  # a step that cannot start is an Error node, never a crashed controller
            self._finish(Result(job.key, "Error", f"failed to start: {e}"))
            return
        self._start_containers(run, ready, first=True)

    def _start_containers(self, run: Running, containers: list[Container], first: bool) -> None:
        """Prepare and send the launch requests of containers that may start now (sidecars first)."""
        for container in sorted(containers, key=lambda c: not c.sidecar):
            try:
                request = self._requests.prepare(run.job, self._running[run.job.key], container, first=first)
                first = False
                with self._lock:
                    self._by_request[request["id"]] = (run.job.key, container.name)
                    run.requests[container.name] = request
                run.launcher = self._launcher.send(request)
            except SluiceError as e:
                self._abandon(run, e.message)
                return
            except Exception as e:  # a step that cannot start is an Error node, never a crashed controller
                self._abandon(run, f"failed to start: {e}")
                return

    def exec_probe(self, key: Key, command: list[str], timeout: float) -> bool:
        """Run an exec probe's command in the running step `key` (its main container); whether it exited 0."""
        with self._lock:
            run = self._running.get(key)
        return run is not None and exec_probe(run, self._requests, command, timeout)

    def _abandon(self, run: Running, message: str) -> None:
        """A container could not start: the step is an Error; its containers already running are killed."""
        self.kill(run.job.key, message, grace=0)
        self._orphans.add(run.job.key, run.tmp.parent)
        self._finish(Result(run.job.key, "Error", message))

    def _launcher_died(self, generation: int) -> None:
        """The zygote went away: the steps it started run on under their shims, watched from their folders.

        A step it had not started yet is an Error (its retryStrategy applies).
        """
        with self._lock:
            lost = [r for r in self._running.values() if r.launcher == generation and r.job.kind == "pod"]
            for run in lost:
                run.adopted = run.pid is not None and (run.plan is None or run.plan.single)
        for run in lost:
            if run.pid is None and not run.pids:
                self._orphans.add(run.job.key, run.tmp.parent)
                self._finish(Result(run.job.key, "Error", "the step launcher stopped while the step was starting"))
            elif not run.adopted:  # several containers: their events came through the launcher
                self._abandon(run, "the step launcher stopped while the step's containers ran")

    def _on_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            entry = self._by_request.get(event["id"])
            run = self._running.get(entry[0]) if entry else None
            if run is None or entry is None:
                return
            name = entry[1]
            plan = run.plan
            if event["event"] == "started":
                pid = run.pids[name] = int(event["pid"])
                if plan is None or plan.single:
                    run.pid = pid
                killed = run.killed
                late = plan is not None and plan.is_sidecar(name) and plan.mains_done()
                report = plan is not None and not plan.single and not plan.is_sidecar(name)
            else:
                self._by_request.pop(event["id"], None)
                run.pids.pop(name, None)
        if event["event"] == "started":
            if killed:
                self.kill(run.job.key, killed, grace=0)
            elif late:  # a sidecar that came up after the main containers had ended
                self._signal(pid, sidecar_grace(run.job.grace))
            elif report:
                self._report(run)
            return
        self._pool.submit(self._exited, run, name, int(event["code"]), event.get("error"))

    def _exited(self, run: Running, name: str, code: int, error: str | None) -> None:
        """A container ended: start those that waited for it; once the main ones are done, stop the sidecars."""
        plan = run.plan
        if plan is None or plan.single:
            self._collect(run, code, error)
            return
        failed = (code != 0 or error) and not plan.is_sidecar(name)
        said = container_said(run, name, self.home) if failed and not error else ""
        with self._lock:
            plan.exited(name, code, error, said)
            if run.killed:
                plan.cancel(run.killed)
            ready = plan.take_ready()
            stop = [run.pids[n] for n in plan.running_sidecars() if n in run.pids] if plan.mains_done() else []
            stop = [] if run.killed or plan.stopping else stop
            plan.stopping = plan.stopping or bool(stop)
            finished = plan.mains_done() and not plan.running()
        if ready:
            self._start_containers(run, ready, first=False)
        for pid in stop:  # Argo's wait container kills the sidecars once the main container has ended
            self._signal(pid, sidecar_grace(run.job.grace))
        if finished:
            container, code, error = plan.outcome()
            self._collect(run, code, error, container)
        elif not plan.is_sidecar(name):
            self._report(run)

    def _collect(self, run: Running, code: int, error: str | None, container: str = "main") -> None:
        with self._lock:
            if run.collecting:
                return
            run.collecting = True
        try:
            result = outcome(
                run, code, error, container, home=self.home, private_tmp=self.private_tmp, warning=self.warning
            )
            if run.plan is not None and not run.plan.single:
                result.containers = run.plan.states()
        finally:
            if self.sandbox:  # the step's root file system goes with it, as a container's does (`_reaper`: a rename)
                self._reaper.discard(run.tmp.parent / "fs")
        self._finish(result)

    def _watch_adopted(self) -> None:
        """Collect adopted steps that ended: their exit code is in their run folder (none: the shim died)."""
        with self._lock:
            adopted = [r for r in self._running.values() if r.adopted and not r.collecting]
        for run in adopted:
            node_dir = run.tmp.parent
            code = exit_code(node_dir)
            if code is not None:
                self._pool.submit(self._collect, run, code, None)
            elif live_shim(node_dir) is None and exit_code(node_dir) is None:
                self._pool.submit(self._collect, run, 137, run.killed or "the step's shim ended without an exit code")

    def _watch_deadlines(self) -> None:
        while not self._stopping.wait(0.25):
            self._watch_adopted()
            self._orphans.sweep()
            now = time.time()
            with self._lock:
                late = [k for k, r in self._running.items() if r.job.deadline and now > r.job.deadline and not r.killed]
            for key in late:
                self.kill(key, "Pod was active on the node longer than the specified deadline")
