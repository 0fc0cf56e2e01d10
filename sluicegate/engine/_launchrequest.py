"""Builds the launch request the zygote runs one container of a step from: argv, env, folders, sandbox plan.

Called by `_executor.Executor` for every container it starts (`prepare`), and when it adopts a step an earlier
controller started (`mounts`, to map the step's volumes again). The request names the step's command and
environment with `/tmp` and declared paths mapped to the step's run folder (`_podfs`), its input artifacts
loaded (`_artifacts`), its volumes bound, cluster Service URLs resolved to this stack (`localdns`) and, in a
sandbox (`_sandbox`), the root file system and user it runs as. The executor also asks it whether steps are
sandboxed at all (`sandbox_mode`) and, for an exec readiness probe, for the probe's command rewritten as the
container's (`probe_argv`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract import BUILDS_ENVIRONMENTS_ANNOTATION, ENVS_DIR_ENV
from sluicegate.engine import _artifacts
from sluicegate.engine._containers import Container
from sluicegate.engine._envsources import env_from, key_ref
from sluicegate.engine._gitsource import check_repository
from sluicegate.engine._images import base_of, env_for, runtime_for
from sluicegate.engine._jobs import Job
from sluicegate.engine._podenv import StepPod, env_source, expand
from sluicegate.engine._podfs import (
    PathMapper,
    SandboxPaths,
    declared_paths,
    give_to,
    layered_folders,
    sandbox_folders,
)
from sluicegate.engine._running import Running
from sluicegate.engine._sandbox import SYSTEM
from sluicegate.engine._termination import TerminationLog
from sluicegate.engine._zygote import sandbox_problem
from sluicegate.errors import SluiceError
from sluicegate.localdns import resolve, services_of_home
from sluicegate.store import Store

__all__ = ["ENV_BUILDER", "STEP_UID", "RequestBuilder", "sandbox_mode"]

STEP_UID = 65534  # the unprivileged user sandboxed steps run as when the stack runs as root ("nobody")
#: Template annotation of the step that builds project environments (the local stand-in for a registry push):
#: sandboxed as the stack's user without capabilities, with the environments folder and uv's cache writable.
ENV_BUILDER = BUILDS_ENVIRONMENTS_ANNOTATION


def _uv_cache() -> Path:
    """The cache folder uv uses for the stack's user (as uv finds it on Linux)."""
    if os.environ.get("UV_CACHE_DIR"):
        return Path(os.environ["UV_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "uv"


def _builds_environments(template: dict[str, Any]) -> bool:
    return str(((template.get("metadata") or {}).get("annotations") or {}).get(ENV_BUILDER, "")).lower() == "true"


class RequestBuilder:
    """Turns a container of a running step into the zygote's launch request.

    Args:
        home: SLUICE_HOME (logs, run folders, artifacts, volumes).
        envs: the built environments every stack of the machine shares (`Settings.envs_dir`).
        store: the object store (which git repositories a namespace trusts).
        secrets: resolves `secretKeyRef`s: `(name, key) -> value`.
        sandbox: whether steps run in a sandbox.
        private_tmp: whether steps get a private `/tmp` (a bind mount) when not sandboxed.
    """

    def __init__(
        self,
        home: Path,
        envs: Path,
        store: Store,
        secrets: Callable[[str, str], str] | None,
        sandbox: bool,
        private_tmp: bool,
    ) -> None:
        self.home = home
        self.envs = envs.absolute()
        self.store = store
        self.secrets = secrets
        self.repo = home / "artifacts"
        self.sandbox = sandbox
        self.private_tmp = private_tmp

    def prepare(self, job: Job, run: Running, container: Container, first: bool = True) -> dict[str, Any]:
        """The launch request of one container of a step (`first`: the first one, which sets up its folders)."""
        tmpl = job.template
        spec = dict(container.spec)
        image = str(spec.get("image", ""))
        project_env = env_for(image, self.envs)
        runtime = "exec" if project_env is not None else runtime_for(image, self.home)
        run.tmp.mkdir(parents=True, exist_ok=True)
        log = self.home / "logs" / job.namespace / job.workflow / f"{job.node_id}.log"
        if container.sidecar or container.name != "main":  # `argo logs -c <name>`: a log of its own
            log = log.parent / "containers" / job.node_id / f"{container.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        paths = declared_paths(tmpl)
        mapper: PathMapper | SandboxPaths
        if self.sandbox:
            mapper = sandbox_folders(run.tmp.parent, run.tmp, paths, self.uid(job), SYSTEM) if first else run.paths  # type: ignore[assignment]
        else:
            mapper = PathMapper(run.tmp, paths, self.private_tmp)
            mapper.host("/tmp/.root").mkdir(parents=True, exist_ok=True)
            for path in paths:  # top-level folders an image would have (/mnt of /mnt/out/x)
                parts = [p for p in path.split("/") if p]
                if len(parts) >= 2:
                    mapper.host("/" + parts[0]).mkdir(parents=True, exist_ok=True)
        run.paths = mapper
        termination = run.terminations[container.name] = TerminationLog.of(spec, run.tmp, mapper, container.name)
        termination.create()
        binds = self.mounts(job, spec, mapper)
        envs = self.envs
        if self.private_tmp and not self.sandbox and str(envs).startswith("/tmp/"):
            # environments under /tmp (tests, CI): they stay visible, and build-env's writes land in the real
            # folder, behind the step's private /tmp
            envs.mkdir(parents=True, exist_ok=True)
            inside = mapper.host(str(envs))
            inside.mkdir(parents=True, exist_ok=True)
            binds.append([str(envs), str(inside)])
        for art in (tmpl.get("inputs") or {}).get("artifacts") or [] if first else []:
            if art.get("path"):
                if "git" in art:  # code from a repository the namespace trusts, whatever a parameter says
                    where = (
                        f"workflow {job.workflow!r}, template {tmpl.get('name')!r}, input artifact {art.get('name')!r}"
                    )
                    check_repository(self.store, job.namespace, str((art["git"] or {}).get("repo", "")), where)
                _artifacts.load(self.repo, art, mapper.host(str(art["path"])))
                outside_tmp = not str(art["path"]).startswith("/tmp/")
                if self.sandbox and outside_tmp and mapper.host(str(art["path"])).exists():
                    give_to(mapper.host(str(art["path"])), self.uid(job))  # the step may change its inputs
        env, declared = self._env(job, spec, mapper, container.name)
        # the kubelet expands `$(VAR)` in command and args (after Argo's `{{...}}`), never in a script's source
        argv = [
            mapper.rewrite(expand(str(a), declared)) for a in [*(spec.get("command") or []), *(spec.get("args") or [])]
        ]
        if "script" in tmpl and not container.sidecar:
            script = run.tmp / ".argo" / "script"
            script.parent.mkdir(parents=True, exist_ok=True)
            source = termination.rewrite(mapper.rewrite(str(spec.get("source", ""))))
            script.write_text(resolve(source, services_of_home(self.home)))
            script.chmod(0o755)
            argv = argv or (["python"] if runtime == "python" else ["sh"])
            argv.append(mapper.container(str(script)))
        if not argv:
            raise SluiceError(
                f"container of image {image!r} has no command",
                where=f"template {tmpl.get('name')!r}",
                fix="set container.command: the local engine cannot read an image's entrypoint",
            )
        if project_env is not None:  # the model project's own environment, as `source bin/activate` sets it
            env["VIRTUAL_ENV"] = str(project_env)
            env["PATH"] = f"{project_env / 'bin'}{os.pathsep}{env.get('PATH', os.defpath)}"
        services = services_of_home(self.home)  # cluster Service URLs -> this stack's addresses (no cluster DNS)
        argv = [resolve(termination.rewrite(a), services) for a in argv]
        env = {k: resolve(v if k == "ARGO_TEMPLATE" else termination.rewrite(v), services) for k, v in env.items()}
        mode = "python" if runtime == "python" and Path(argv[0]).name.startswith("python") else "exec"
        working = spec.get("workingDir")
        cwd = mapper.container(str(working) if working else ("/" if self.sandbox else "/tmp/.root"))
        if not self.sandbox:
            mapper.host("/tmp/.root").mkdir(parents=True, exist_ok=True)
        if working:
            mapper.host(str(working)).mkdir(parents=True, exist_ok=True)
        sandbox = None
        if self.sandbox:
            uid = self.uid(job)
            give_to(run.tmp, uid)
            if working:
                give_to(mapper.host(str(working)), uid)
            envs_dir = str(self.envs.resolve())
            builder = _builds_environments(tmpl)
            if builder:
                Path(envs_dir).mkdir(parents=True, exist_ok=True)
                _uv_cache().mkdir(parents=True, exist_ok=True)
                env["UV_CACHE_DIR"] = str(_uv_cache())
            assert isinstance(mapper, SandboxPaths)
            sandbox = {
                "root": str(mapper.fs),
                "layered": mapper.layered,
                "tmp": str(run.tmp),
                "var_tmp": str(mapper.fs / "var-tmp"),
                "home": str(self.home.resolve()),
                "expose": [] if builder else [envs_dir],
                "expose_rw": [envs_dir, str(_uv_cache())] if builder else [],
                "keep": [base_of(project_env)] if project_env is not None and base_of(project_env) else [],
                "binds": binds,
                "uid": uid,
                "gid": uid,
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
            "run": str(self.container_dir(run, container)),
            "stdout": str(run.stdout if container.name == "main" else run.tmp.parent / f"stdout.{container.name}"),
            "log": str(log),
        }

    def probe_argv(self, run: Running, name: str, command: list[str]) -> list[str]:
        """An exec probe's command as container `name` would see it: its paths rewritten as its command's."""
        mapper, termination = run.paths, run.terminations.get(name)
        services = services_of_home(self.home)
        argv = [mapper.rewrite(str(a)) if mapper is not None else str(a) for a in command]
        return [resolve(termination.rewrite(a) if termination is not None else a, services) for a in argv]

    def adopted_paths(self, job: Job, tmp: Path) -> PathMapper | SandboxPaths:
        """The paths of a step an earlier controller started (its folders exist), to collect its outputs."""
        paths = declared_paths(job.template)
        mapper: PathMapper | SandboxPaths
        if self.sandbox:
            mapper = SandboxPaths(tmp, tmp.parent / "fs", layered_folders(paths, SYSTEM))
        else:
            mapper = PathMapper(tmp, paths, self.private_tmp)
        self.mounts(job, job.template.get("script") or job.template.get("container") or {}, mapper)
        return mapper

    def mounts(self, job: Job, spec: dict[str, Any], mapper: PathMapper | SandboxPaths) -> list[list[str]]:
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
                    os.chown(src, self.uid(job), self.uid(job))
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

    def uid(self, job: Job) -> int:
        """The user a sandboxed step runs as: `nobody` where the stack runs as root, the environment builder aside."""
        return os.getuid() if _builds_environments(job.template) else STEP_UID

    def _env(
        self, job: Job, spec: dict[str, Any], mapper: PathMapper | SandboxPaths, container: str
    ) -> tuple[dict[str, str], dict[str, str]]:
        """The container's environment, and the variables its pod spec defines (what `$(VAR)` may name)."""
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TZ", "SSL_CERT_FILE")}
        pod = StepPod(job, self.store, self.home)
        argo = {
            "ARGO_WORKFLOW_NAME": job.workflow,
            "ARGO_WORKFLOW_UID": job.workflow_uid,
            "ARGO_NODE_ID": job.node_id,
            "ARGO_POD_NAME": job.node_id,
            "ARGO_POD_UID": pod.uid,
            "ARGO_CONTAINER_NAME": container,
            "ARGO_TEMPLATE": json.dumps(job.template, separators=(",", ":")),
            "ARGO_INCLUDE_SCRIPT_OUTPUT": "true",
        }
        env.update({"PYTHONUNBUFFERED": "1", **argo, ENVS_DIR_ENV: str(self.envs.resolve())})
        if self.sandbox:
            env["HOME"] = "/tmp"  # the step's user has no home of its own on the host's file system
        elif not self.private_tmp:
            env["TMPDIR"] = str(mapper.tmp)
        where = f"workflow {job.workflow!r}, node {job.node_id!r}, container {container!r}"
        # as the kubelet: envFrom first, env entries over it, each value's `$(VAR)` naming those before it
        declared = env_from(self.store, job.namespace, spec.get("envFrom") or [], where)
        for var in spec.get("env") or []:
            value = self._env_value(job, pod, container, var, declared, where)
            if value is not None:
                declared[str(var["name"])] = value
        env.update({name: mapper.rewrite(text) for name, text in declared.items()})
        return env, {**argo, **declared}

    def _env_value(
        self, job: Job, pod: StepPod, container: str, var: dict[str, Any], before: dict[str, str], where: str
    ) -> str | None:
        value = "" if var.get("value") is None else str(var["value"])
        source = var.get("valueFrom") or {}
        if value or not source:
            return expand(value, before)
        if "configMapKeyRef" in source or "secretKeyRef" in source:
            return key_ref(self.store, job.namespace, source, f"{where}, env {var.get('name')!r}", self.secrets)
        return env_source(pod, container, var, where)

    def container_dir(self, run: Running, container: Container) -> Path:
        """Where a container's shim records itself and its exit code: the node's folder for `main`."""
        if container.name == "main":
            return run.tmp.parent
        folder = run.tmp.parent / "containers" / container.name
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def sandbox_mode(home: Path, private_tmp: bool) -> tuple[bool, str]:
    """Whether steps get a sandbox (the default; SLUICE_SANDBOX=0 turns it off), else the warning nodes carry."""
    if os.environ.get("SLUICE_SANDBOX", "1") == "0":
        return False, ""  # turned off on purpose (docs/compatibility.md)
    if os.environ.get("SLUICE_PRIVATE_TMP", "1") == "0":
        why = "turned off by SLUICE_PRIVATE_TMP=0"
    else:
        why = sandbox_problem(home / "run" / ".probe")
        if not why:
            return True, ""
    fallback = "a private /tmp only" if private_tmp else "/tmp rewritten to the step's folder"
    return False, f"warning: step not sandboxed ({why}); it ran on the host's file system with {fallback}"
