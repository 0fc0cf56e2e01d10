"""How a step sees the file system: its private `/tmp`, declared paths outside it, and its outputs.

Called by `_executor`. In a sandbox (`_sandbox`) the step has a root file system of its own: `SandboxPaths`
maps a container path to where it lives on this machine (the step's /tmp folder, a volume's folder, or the
overlay's upper layer) and nothing in the step is rewritten. Without one (`PathMapper`, the fallback), paths
outside `/tmp` that a template declares (artifacts, output parameters, `volumeMounts`, `workingDir`) live
under `/tmp/.root` of the step and are rewritten where the step's command, script and env mention them;
without a mount namespace `/tmp` itself is rewritten to the step's folder.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluicegate.engine import _artifacts
from sluicegate.errors import SluiceError

if TYPE_CHECKING:
    from sluicegate.engine._executor import Job

__all__ = [
    "PathMapper",
    "SandboxPaths",
    "collect_outputs",
    "container_order",
    "declared_paths",
    "give_to",
    "sandbox_folders",
]


def container_order(tmpl: dict[str, Any]) -> list[dict[str, Any]]:
    """A containerSet's containers in an order that respects their `dependencies`."""
    containers = {str(c["name"]): c for c in (tmpl.get("containerSet") or {}).get("containers") or []}
    ordered: list[dict[str, Any]] = []
    done: set[str] = set()
    while len(done) < len(containers):
        ready = [n for n, c in containers.items() if n not in done and set(c.get("dependencies") or []) <= done]
        if not ready:
            raise SluiceError("containerSet dependencies form a cycle", where=f"template {tmpl.get('name')!r}")
        for name in ready:
            done.add(name)
            ordered.append(containers[name])
    return ordered


def declared_paths(tmpl: dict[str, Any]) -> list[str]:
    paths: list[str] = []
    for section in ("inputs", "outputs"):
        for art in (tmpl.get(section) or {}).get("artifacts") or []:
            if art.get("path"):
                paths.append(str(art["path"]))
        for param in (tmpl.get(section) or {}).get("parameters") or []:
            path = (param.get("valueFrom") or {}).get("path")
            if path:
                paths.append(str(path))
    spec = tmpl.get("script") or tmpl.get("container") or {}
    mounts = list(spec.get("volumeMounts") or []) + list((tmpl.get("containerSet") or {}).get("volumeMounts") or [])
    for container in (tmpl.get("containerSet") or {}).get("containers") or []:
        mounts += container.get("volumeMounts") or []
    for mount in mounts:
        paths.append(str(mount.get("mountPath", "")))
    if spec.get("workingDir"):
        paths.append(str(spec["workingDir"]))
    return [p for p in paths if p.startswith("/") and not (p == "/tmp" or p.startswith("/tmp/"))]


class PathMapper:
    """Maps container paths to the step's private folder; paths outside /tmp move under /tmp/.root."""

    def __init__(self, tmp: Path, outside: list[str], private: bool) -> None:
        self.tmp = tmp
        self.private = private
        roots = sorted({_root_of(p) for p in outside if p not in ("/", "")}, key=len, reverse=True)
        self._outside = re.compile("|".join(re.escape(r) + r"(?=/|\b|$)" for r in roots)) if roots else None

    def container(self, path: str) -> str:
        """The path as the step's process sees it."""
        if path == str(self.tmp) or path.startswith(str(self.tmp) + "/"):
            return "/tmp" + path[len(str(self.tmp)) :] if self.private else path
        if path == "/tmp" or path.startswith("/tmp/"):
            return path if self.private else str(self.tmp) + path[4:]
        return self.container("/tmp/.root" + path)

    def host(self, path: str) -> Path:
        """Where a container path lives on this machine."""
        if path == "/tmp" or path.startswith("/tmp/"):
            return Path(str(self.tmp) + path[4:])
        return Path(str(self.tmp) + "/.root" + path)

    def rewrite(self, text: str) -> str:
        """Rewrite declared non-/tmp paths (and /tmp itself without a private mount) inside a string."""
        if self._outside is not None:
            text = self._outside.sub(lambda m: "/tmp/.root" + m.group(0), text)
        if not self.private:
            text = re.sub(r"(?<![\w./-])/tmp(?=/|\b|$)", str(self.tmp), text)
        return text


class SandboxPaths:
    """Container paths of a sandboxed step: /tmp, volumes at their mountPaths, the rest in the overlay's upper."""

    def __init__(self, tmp: Path, upper: Path, volumes: dict[str, Path] | None = None) -> None:
        self.tmp = tmp
        self.upper = upper
        self.volumes = dict(sorted((volumes or {}).items(), key=lambda kv: len(kv[0]), reverse=True))

    def container(self, path: str) -> str:
        """The path as the step's process sees it."""
        if path == str(self.tmp) or path.startswith(str(self.tmp) + "/"):
            return "/tmp" + path[len(str(self.tmp)) :]
        return path

    def host(self, path: str) -> Path:
        """Where a container path lives on this machine (its volume, its /tmp, or the upper layer)."""
        for mount, src in self.volumes.items():
            if path == mount or path.startswith(mount.rstrip("/") + "/"):
                return Path(str(src) + path[len(mount.rstrip("/")) :])
        if path == "/tmp" or path.startswith("/tmp/"):
            return Path(str(self.tmp) + path[4:])
        return Path(str(self.upper) + path)

    def rewrite(self, text: str) -> str:
        """Nothing to rewrite: the step sees its paths where the template declares them."""
        return text


def sandbox_folders(node_dir: Path, tmp: Path, paths: list[str], uid: int) -> SandboxPaths:
    """Create the overlay's folders of a step; `/`, its /tmp and the parents of declared paths belong to `uid`.

    As in a container whose user owns the places its template names, the step's unprivileged user can write
    its declared outputs and new top-level folders (Hera's examples write `/a`), not the host's `/usr`.
    """
    fs = node_dir / "fs"
    if fs.exists():  # a retry of the same node id, or a stage that ran before a crash
        shutil.rmtree(fs, ignore_errors=True)
    for sub in ("upper", "work", "merged"):
        (fs / sub).mkdir(parents=True, exist_ok=True)
    upper = fs / "upper"
    owned = [upper]
    for path in paths:
        parts = [p for p in path.split("/") if p][:-1]
        for depth in range(1, len(parts) + 1):
            folder = upper.joinpath(*parts[:depth])
            if not folder.exists():
                folder.mkdir()
                owned.append(folder)
    for folder in owned:
        os.chown(folder, uid, uid)
    return SandboxPaths(tmp, upper)


def give_to(folder: Path, uid: int) -> None:
    """Hand a folder the step writes (its /tmp, a volume) to the step's user, with what is inside it."""
    if os.getuid() != 0 or uid == 0:
        return
    os.chown(folder, uid, uid)
    for base, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            os.chown(os.path.join(base, name), uid, uid, follow_symlinks=False)


def _root_of(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return "/" + parts[0] if parts else "/"


def collect_outputs(
    job: Job, mapper: PathMapper | SandboxPaths, repo: Path
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    outputs = job.template.get("outputs") or {}
    params: list[dict[str, Any]] = []
    for param in outputs.get("parameters") or []:
        source = param.get("valueFrom") or {}
        out = {k: v for k, v in param.items() if k in ("name", "globalName", "valueFrom", "description")}
        if "path" in source:
            host = mapper.host(str(source["path"]))
            if host.is_file():
                out["value"] = host.read_text(errors="replace").rstrip("\n")
            elif "default" in source:
                out["value"] = str(source["default"])
            else:
                raise SluiceError(
                    f"output parameter {param['name']!r}: open {source['path']}: no such file or directory",
                    where=f"template {job.template.get('name')!r}",
                    fix="write the file in the step, or give valueFrom.default",
                )
        elif "value" in param:
            out["value"] = str(param["value"])
        params.append(out)
    arts: list[dict[str, Any]] = []
    for art in outputs.get("artifacts") or []:
        if not art.get("path"):
            continue
        record = _artifacts.save(
            repo, f"{job.namespace}/{job.workflow}/{job.node_id}", art, mapper.host(str(art["path"]))
        )
        if record is not None:
            arts.append(record)
    return params, arts
