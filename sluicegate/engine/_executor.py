"""Runs the leaf work of a workflow: container/script steps through the zygote, resource steps in a thread.

Called by `_controller.WorkflowController`: `launch(job)` returns at once; when the step ends a `Result`
(phase, message, outputs) is queued and the controller is woken to fold it into the workflow status.
With SLUICE_SANDBOX=1 every step runs in a sandbox (`_sandbox`: a root file system of its own over the
host's, SLUICE_HOME hidden, its own PID namespace, an unprivileged user) with
`SLUICE_HOME/run/<ns>/<wf>/<nodeId>/tmp` as its private `/tmp`; where the kernel does not allow that, the
node's message says so. Otherwise a step gets a private `/tmp` only (a bind mount in a new mount namespace)
or, where that is not permitted either, `/tmp` rewritten to that folder in its command, script and env.
Its combined stdout/stderr goes to `SLUICE_HOME/logs/<ns>/<wf>/<nodeId>.log`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sluicegate.engine import _artifacts
from sluicegate.engine._images import ENVS_DIR, env_for, runtime_for
from sluicegate.engine._podfs import (
    PathMapper,
    SandboxPaths,
    collect_outputs,
    container_order,
    declared_paths,
    give_to,
    sandbox_folders,
)
from sluicegate.engine._zygote import private_tmp_supported, sandbox_problem
from sluicegate.errors import NotFoundError, SluiceError
from sluicegate.localdns import resolve, services_of_home
from sluicegate.store import Store, utc_now

__all__ = ["Executor", "Job", "Result"]

Key = tuple[str, str, str]
_WARM = ("json", "pathlib", "subprocess", "argparse", "random", "time")
_MAX_RESULT = 256 * 1024
STEP_UID = 65534  # the unprivileged user sandboxed steps run as when the stack runs as root ("nobody")


def _exit_code(node_dir: Path) -> int | None:
    """The exit code a step's shim recorded, or None while it runs."""
    try:
        return int((node_dir / "exit").read_text().strip())
    except (OSError, ValueError):
        return None


def _live_shim(node_dir: Path) -> int | None:
    """The pid of the step's shim if that very process still runs (pid and start time match)."""
    try:
        pid_text, started = (node_dir / "shim").read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return pid if fields[19] == started and fields[0] != "Z" else None


@dataclass
class Job:
    """One leaf node to run: a pod (container/script) or a resource action."""

    namespace: str
    workflow: str
    workflow_uid: str
    node_id: str
    node_name: str
    template: dict[str, Any]
    kind: str = "pod"
    deadline: float | None = None  # epoch seconds
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        """`(namespace, workflow, nodeId)`."""
        return (self.namespace, self.workflow, self.node_id)


@dataclass
class Result:
    """The outcome of a job, folded into the node by the operator."""

    key: Key
    phase: str
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    finished_at: str = field(default_factory=utc_now)


@dataclass
class _Running:
    job: Job
    tmp: Path
    stdout: Path
    pid: int | None = None
    killed: str | None = None
    stages: list[dict[str, Any]] = field(default_factory=list)  # containerSet containers still to run
    launcher: int = -1  # generation of the zygote the request went to
    paths: PathMapper | SandboxPaths | None = None
    adopted: bool = False  # started by an earlier controller (or zygote): watched through its run folder
    collecting: bool = False
    started: float = field(default_factory=time.time)


class Executor:
    """Launches jobs and reports their results.

    Args:
        home: SLUICE_HOME (logs, run folders, artifacts).
        store: the object store (resource steps act on it).
        notify: called (from any thread) after a result is queued.
        secrets: resolves `secretKeyRef`s: `(name, key) -> value`.
    """

    def __init__(
        self, home: Path, store: Store, notify: Callable[[], None], secrets: Callable[[str, str], str] | None = None
    ) -> None:
        self.home = home
        self.store = store
        self.notify = notify
        self.secrets = secrets
        self.repo = home / "artifacts"
        self._lock = threading.Lock()
        self._running: dict[Key, _Running] = {}
        self._by_request: dict[str, Key] = {}
        self._results: dict[Key, Result] = {}
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sluice-step")
        self._sock: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._send_lock = threading.Lock()
        self._generation = 0
        self.private_tmp = private_tmp_supported() and os.environ.get("SLUICE_PRIVATE_TMP", "1") != "0"
        self.sandbox, self.warning = self._sandbox_mode(home)

    def _sandbox_mode(self, home: Path) -> tuple[bool, str]:
        """Whether steps get a sandbox (opt-in: SLUICE_SANDBOX=1), and else the warning nodes carry."""
        if os.environ.get("SLUICE_SANDBOX", "0") != "1":
            return False, ""  # not asked for (see docs/compatibility.md: model serving is slower inside one)
        if os.environ.get("SLUICE_PRIVATE_TMP", "1") == "0":
            why = "turned off by SLUICE_PRIVATE_TMP=0"
        else:
            why = sandbox_problem(home / "run" / ".probe")
            if not why:
                return True, ""
        fallback = "a private /tmp only" if self.private_tmp else "/tmp rewritten to the step's folder"
        return False, f"warning: step not sandboxed ({why}); it ran on the host's file system with {fallback}"

    # -- life cycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the zygote and the deadline watcher."""
        self._spawn_zygote()
        threading.Thread(target=self._watch_deadlines, name="sluice-deadlines", daemon=True).start()

    def _spawn_zygote(self) -> None:
        parent, child = socket.socketpair()
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("_zygote.py")), str(child.fileno()), *_WARM],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self._sock = parent
        self._generation += 1
        args = (parent, self._generation)
        threading.Thread(target=self._read_zygote, args=args, name="sluice-zygote", daemon=True).start()

    def _send(self, request: dict[str, Any]) -> int:
        """Send one launch request; restarts the zygote once if it has died."""
        data = json.dumps(request).encode() + b"\n"
        with self._send_lock:
            for attempt in (1, 2):
                if self._sock is None:
                    raise SluiceError("the step launcher is not running", fix="restart the stack")
                try:
                    self._sock.sendall(data)
                    return self._generation
                except OSError:
                    if attempt == 2 or self._stopping.is_set():
                        raise
                    self._sock.close()
                    self._spawn_zygote()
        raise SluiceError("the step launcher is not running", fix="restart the stack")

    def stop(self) -> None:
        """Kill running steps and the zygote."""
        self._stopping.set()
        for key in list(self._running):
            self.kill(key, "controller stopped", grace=0)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- queries ------------------------------------------------------------------------------------
    def is_active(self, key: Key) -> bool:
        """Whether the job is running or its result waits to be taken; adopts a step an earlier controller ran."""
        with self._lock:
            if key in self._running or key in self._results:
                return True
        return self._adopt(key)

    def _adopt(self, key: Key) -> bool:
        """Take over a step whose shim outlived its controller (as a pod outlives Argo's); False if it is gone."""
        node_dir = self.home / "run" / key[0] / key[1] / key[2]
        if self._stopping.is_set() or not (node_dir / "job.json").is_file():
            return False
        try:
            job = Job(**json.loads((node_dir / "job.json").read_text()))
        except (OSError, ValueError, TypeError):
            return False
        if job.kind != "pod" or "containerSet" in job.template:
            return False
        code, pid = _exit_code(node_dir), _live_shim(node_dir)
        if code is None and pid is None:
            return False
        run = _Running(job, node_dir / "tmp", node_dir / "stdout", pid=pid, adopted=True)
        spec = job.template.get("script") or job.template.get("container") or {}
        mapper: PathMapper | SandboxPaths
        if self.sandbox:
            mapper = SandboxPaths(run.tmp, node_dir / "fs" / "upper")
        else:
            mapper = PathMapper(run.tmp, declared_paths(job.template), self.private_tmp)
        self._mounts(job, spec, mapper)
        run.paths = mapper
        with self._lock:
            if key in self._running or key in self._results:
                return True
            self._running[key] = run
        return True

    def take_results(self, namespace: str, workflow: str) -> list[Result]:
        """Remove and return the results of one workflow."""
        with self._lock:
            keys = [k for k in self._results if k[0] == namespace and k[1] == workflow]
            return [self._results.pop(k) for k in keys]

    def pending_workflows(self) -> set[tuple[str, str]]:
        """Workflows with results waiting to be folded in."""
        with self._lock:
            return {(k[0], k[1]) for k in self._results}

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
            self._running[job.key] = _Running(job, node_dir / "tmp", node_dir / "stdout")
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

    def kill(self, key: Key, message: str, grace: float = 5.0) -> None:
        """Stop a running job; its result becomes Failed with `message`."""
        with self._lock:
            run = self._running.get(key)
            if run is None:
                return
            run.killed = message
            pid = run.pid
        if pid is None:
            return
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
            self._results[result.key] = result
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
            if "containerSet" in job.template:
                run = self._running[job.key]
                run.stages = container_order(job.template)
                request = self._prepare(job, run.stages.pop(0))
            else:
                request = self._prepare(job)
        except SluiceError as e:
            self._finish(Result(job.key, "Error", e.message))
            return
        except Exception as e:  # a step that cannot start is an Error node, never a crashed controller
            self._finish(Result(job.key, "Error", f"failed to start: {e}"))
            return
        with self._lock:
            self._by_request[request["id"]] = job.key
        try:
            self._running[job.key].launcher = self._send(request)
        except (OSError, SluiceError) as e:
            self._finish(Result(job.key, "Error", f"failed to start: {e}"))

    def _prepare(self, job: Job, stage: dict[str, Any] | None = None, first: bool = True) -> dict[str, Any]:
        tmpl = job.template
        spec = dict(stage or tmpl.get("script") or tmpl.get("container") or {})
        if stage is not None:
            shared = (tmpl.get("containerSet") or {}).get("volumeMounts") or []
            spec["volumeMounts"] = [*shared, *(stage.get("volumeMounts") or [])]
        image = str(spec.get("image", ""))
        project_env = env_for(image, self.home)
        runtime = "exec" if project_env is not None else runtime_for(image, self.home)
        run = self._running[job.key]
        run.tmp.mkdir(parents=True, exist_ok=True)
        log = self.home / "logs" / job.namespace / job.workflow / f"{job.node_id}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        paths = declared_paths(tmpl)
        mapper: PathMapper | SandboxPaths
        if self.sandbox:
            mapper = sandbox_folders(run.tmp.parent, run.tmp, paths, STEP_UID) if first else run.paths  # type: ignore[assignment]
        else:
            mapper = PathMapper(run.tmp, paths, self.private_tmp)
            mapper.host("/tmp/.root").mkdir(parents=True, exist_ok=True)
            for path in paths:  # top-level folders an image would have (/mnt of /mnt/out/x)
                parts = [p for p in path.split("/") if p]
                if len(parts) >= 2:
                    mapper.host("/" + parts[0]).mkdir(parents=True, exist_ok=True)
        run.paths = mapper
        binds = self._mounts(job, spec, mapper)
        envs = self.home / ENVS_DIR
        if self.private_tmp and not self.sandbox and str(envs).startswith("/tmp/"):
            # SLUICE_HOME under /tmp (tests, CI): the environments stay visible, and build-env's writes land
            # in the real folder, behind the step's private /tmp
            envs.mkdir(parents=True, exist_ok=True)
            inside = mapper.host(str(envs))
            inside.mkdir(parents=True, exist_ok=True)
            binds.append([str(envs), str(inside)])
        for art in (tmpl.get("inputs") or {}).get("artifacts") or [] if first else []:
            if art.get("path"):
                _artifacts.load(self.repo, art, mapper.host(str(art["path"])))
                outside_tmp = not str(art["path"]).startswith("/tmp/")
                if self.sandbox and outside_tmp and mapper.host(str(art["path"])).exists():
                    give_to(mapper.host(str(art["path"])), STEP_UID)  # the step may change its inputs, as root could
        argv = [mapper.rewrite(str(a)) for a in [*(spec.get("command") or []), *(spec.get("args") or [])]]
        if "script" in tmpl:
            script = run.tmp / ".argo" / "script"
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_text(resolve(mapper.rewrite(str(spec.get("source", ""))), services_of_home(self.home)))
            script.chmod(0o755)
            argv = argv or (["python"] if runtime == "python" else ["sh"])
            argv.append(mapper.container(str(script)))
        if not argv:
            raise SluiceError(
                f"container of image {image!r} has no command",
                where=f"template {tmpl.get('name')!r}",
                fix="set container.command: the local engine cannot read an image's entrypoint",
            )
        env = self._env(job, spec, mapper)
        if project_env is not None:  # the model project's own environment, as `source bin/activate` sets it
            env["VIRTUAL_ENV"] = str(project_env)
            env["PATH"] = f"{project_env / 'bin'}{os.pathsep}{env.get('PATH', os.defpath)}"
        services = services_of_home(self.home)  # cluster Service URLs -> this stack's addresses (no cluster DNS)
        argv = [resolve(a, services) for a in argv]
        env = {k: resolve(v, services) for k, v in env.items()}
        mode = "python" if runtime == "python" and Path(argv[0]).name.startswith("python") else "exec"
        working = spec.get("workingDir")
        cwd = mapper.container(str(working) if working else ("/" if self.sandbox else "/tmp/.root"))
        if not self.sandbox:
            mapper.host("/tmp/.root").mkdir(parents=True, exist_ok=True)
        if working:
            mapper.host(str(working)).mkdir(parents=True, exist_ok=True)
        sandbox = None
        if self.sandbox:
            give_to(run.tmp, STEP_UID)
            if working:
                give_to(mapper.host(str(working)), STEP_UID)
            sandbox = {
                "root": str(run.tmp.parent / "fs"),
                "tmp": str(run.tmp),
                "home": str(self.home.resolve()),
                "expose": [str(self.home.resolve() / "envs")],
                "binds": binds,
                "uid": STEP_UID,
                "gid": STEP_UID,
            }
        return {
            "id": f"{job.namespace}/{job.workflow}/{job.node_id}/{time.time_ns()}",
            "mode": mode,
            "argv": argv,
            "env": env,
            "cwd": cwd,
            "tmp": str(run.tmp) if self.private_tmp and not self.sandbox else None,
            "binds": binds,
            "sandbox": sandbox,
            "run": str(run.tmp.parent),
            "stdout": str(
                run.stdout if stage is None or stage.get("name") == "main" else run.tmp.parent / "stdout.other"
            ),
            "log": str(log),
        }

    def _mounts(self, job: Job, spec: dict[str, Any], mapper: PathMapper | SandboxPaths) -> list[list[str]]:
        """Host folders for the step's volumeMounts: bind mounts (sandbox, private /tmp) or symlinks (fallback)."""
        binds: list[list[str]] = []
        run_dir = self.home / "run" / job.namespace / job.workflow
        for mount in spec.get("volumeMounts") or []:
            vol = job.volumes.get(str(mount.get("name")))
            if vol is None or str(mount.get("mountPath", "")).rstrip("/") == "/tmp":
                continue  # a volume at /tmp is the step's private /tmp already (emptyDir semantics)
            if vol.get("persistentVolumeClaim"):
                claim = str(vol["persistentVolumeClaim"].get("claimName", vol["name"]))
                src = self.home / "volumes" / job.namespace / claim
            elif vol.get("workflowClaim"):
                src = run_dir / "volumes" / str(vol["workflowClaim"])
            else:
                src = run_dir / job.node_id / "volumes" / str(vol["name"])
            src.mkdir(parents=True, exist_ok=True)
            for key, value in (vol.get("configMapData") or {}).items():
                (src / key).write_text(str(value))
            if mount.get("subPath"):
                src = src / str(mount["subPath"])
                src.mkdir(parents=True, exist_ok=True)
            if isinstance(mapper, SandboxPaths):
                if os.getuid() == 0:
                    os.chown(src, STEP_UID, STEP_UID)
                mapper.volumes[str(mount["mountPath"])] = src
                mapper.volumes = dict(sorted(mapper.volumes.items(), key=lambda kv: len(kv[0]), reverse=True))
                binds.append([str(src), str(mount["mountPath"])])
                continue
            dest = mapper.host(str(mount["mountPath"]))
            if self.private_tmp:
                dest.mkdir(parents=True, exist_ok=True)
                binds.append([str(src), str(dest)])
            elif not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.symlink_to(src, target_is_directory=True)
        return binds

    def _env(self, job: Job, spec: dict[str, Any], mapper: PathMapper | SandboxPaths) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TZ", "SSL_CERT_FILE")}
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "ARGO_WORKFLOW_NAME": job.workflow,
                "ARGO_WORKFLOW_UID": job.workflow_uid,
                "ARGO_NODE_ID": job.node_id,
                "ARGO_POD_NAME": job.node_id,
                "ARGO_CONTAINER_NAME": "main",
                "ARGO_TEMPLATE": json.dumps(job.template, separators=(",", ":")),
                "ARGO_INCLUDE_SCRIPT_OUTPUT": "true",
                "SLUICE_ENVS_DIR": str(self.home / ENVS_DIR),
            }
        )
        if self.sandbox:
            env["HOME"] = "/tmp"  # the step's user has no home of its own on the host's file system
        elif not self.private_tmp:
            env["TMPDIR"] = str(mapper.tmp)
        for var in spec.get("env") or []:
            value = self._env_value(job, var)
            if value is not None:
                env[str(var["name"])] = mapper.rewrite(value)
        return env

    def _env_value(self, job: Job, var: dict[str, Any]) -> str | None:
        if "value" in var:
            return str(var["value"])
        source = var.get("valueFrom") or {}
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            optional = ref.get("optional") is True  # Kubernetes leaves a missing optional key's variable unset
            if self.secrets is None:
                return None if optional else ""
            try:
                return self.secrets(str(ref["name"]), str(ref["key"]))
            except NotFoundError:
                if optional:
                    return None
                raise
        field_path = (source.get("fieldRef") or {}).get("fieldPath", "")
        return {"metadata.name": job.node_id, "metadata.namespace": job.namespace}.get(field_path, "")

    def _read_zygote(self, sock: socket.socket, generation: int) -> None:
        buf = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                if not self._stopping.is_set():
                    self._launcher_died(generation)
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self._on_event(json.loads(line))

    def _launcher_died(self, generation: int) -> None:
        """The zygote went away: the steps it started run on under their shims, watched from their folders.

        A step it had not started yet is an Error (its retryStrategy applies).
        """
        with self._lock:
            lost = [r for r in self._running.values() if r.launcher == generation and r.job.kind == "pod"]
            for run in lost:
                run.adopted = run.pid is not None
        for run in lost:
            if run.pid is None:
                self._finish(Result(run.job.key, "Error", "the step launcher stopped while the step was starting"))

    def _on_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            key = self._by_request.get(event["id"])
            run = self._running.get(key) if key else None
            if run is None:
                return
            if event["event"] == "started":
                run.pid = int(event["pid"])
                killed = run.killed
            else:
                self._by_request.pop(event["id"], None)
        if event["event"] == "started":
            if killed:
                self.kill(run.job.key, killed, grace=0)
            return
        if run.stages and int(event["code"]) == 0 and not run.killed:
            self._pool.submit(self._next_stage, run)
            return
        self._pool.submit(self._collect, run, int(event["code"]), event.get("error"))

    def _next_stage(self, run: _Running) -> None:
        """Start the next container of a containerSet (they run one after another, in dependency order)."""
        try:
            request = self._prepare(run.job, run.stages.pop(0), first=False)
        except SluiceError as e:
            self._finish(Result(run.job.key, "Error", e.message))
            return
        with self._lock:
            self._by_request[request["id"]] = run.job.key
        try:
            run.launcher = self._send(request)
        except (OSError, SluiceError) as e:
            self._finish(Result(run.job.key, "Error", f"failed to start: {e}"))

    def _collect(self, run: _Running, code: int, error: str | None) -> None:
        with self._lock:
            if run.collecting:
                return
            run.collecting = True
        try:
            self._finish(self._outcome(run, code, error))
        finally:
            if self.sandbox:  # the step's root file system goes with it, as a container's does
                shutil.rmtree(run.tmp.parent / "fs", ignore_errors=True)

    def _outcome(self, run: _Running, code: int, error: str | None) -> Result:
        job = run.job
        outputs: dict[str, Any] = {"exitCode": str(code)}
        try:
            stdout = run.stdout.read_bytes()[:_MAX_RESULT].decode(errors="replace") if run.stdout.exists() else ""
            outputs["result"] = stdout.rstrip("\n")
        except OSError:
            pass
        if run.killed:
            return Result(job.key, "Failed", self._noted(run.killed), outputs)
        if error or code != 0:
            return Result(job.key, "Failed", self._noted(error or f"Error (exit code {code})"), outputs)
        mapper = run.paths or PathMapper(run.tmp, declared_paths(job.template), self.private_tmp)
        try:
            params, arts = collect_outputs(job, mapper, self.repo)
        except SluiceError as e:
            return Result(job.key, "Error", self._noted(e.message), outputs)
        if params:
            outputs["parameters"] = params
        if arts:
            outputs["artifacts"] = arts
        return Result(job.key, "Succeeded", self._noted(""), outputs)

    def _noted(self, message: str) -> str:
        """A node's message with the warning that the step ran without a sandbox, if it did."""
        return f"{message}; {self.warning}" if message and self.warning else message or self.warning

    def _watch_adopted(self) -> None:
        """Collect adopted steps that ended: their exit code is in their run folder (none: the shim died)."""
        with self._lock:
            adopted = [r for r in self._running.values() if r.adopted and not r.collecting]
        for run in adopted:
            node_dir = run.tmp.parent
            code = _exit_code(node_dir)
            if code is not None:
                self._pool.submit(self._collect, run, code, None)
            elif _live_shim(node_dir) is None and _exit_code(node_dir) is None:
                self._pool.submit(self._collect, run, 137, run.killed or "the step's shim ended without an exit code")

    def _watch_deadlines(self) -> None:
        while not self._stopping.wait(0.25):
            self._watch_adopted()
            now = time.time()
            with self._lock:
                late = [k for k, r in self._running.items() if r.job.deadline and now > r.job.deadline and not r.killed]
            for key in late:
                self.kill(key, "Pod was active on the node longer than the specified deadline", grace=2)
