"""How a step sees the file system: its private `/tmp`, declared paths outside it, and its outputs.

Called by `_executor`, `_launchrequest` and `_outcome`.
In a sandbox (`_sandbox`) the step has a root file system of its own: `SandboxPaths`
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
    from sluicegate.engine._jobs import Job

__all__ = [
    "DeclaredPaths",
    "PathMapper",
    "SandboxPaths",
    "collect_outputs",
    "declared_paths",
    "give_to",
    "layered_folders",
    "sandbox_folders",
]


class DeclaredPaths(list[str]):
    """The absolute paths outside /tmp a template declares; `outputs` are those that only its outputs name."""

    def __init__(self, paths: list[str], outputs: set[str]) -> None:
        super().__init__(paths)
        self.outputs = frozenset(outputs)


def _outside_tmp(path: str) -> bool:
    return path.startswith("/") and not (path == "/tmp" or path.startswith("/tmp/"))


def declared_paths(tmpl: dict[str, Any]) -> DeclaredPaths:
    """Input and output artifact and parameter paths, `volumeMounts` and `workingDir` outside /tmp."""
    found: dict[str, list[str]] = {"inputs": [], "outputs": []}
    for section, paths in found.items():
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
    others = [str(mount.get("mountPath", "")) for mount in mounts]
    if spec.get("workingDir"):
        others.append(str(spec["workingDir"]))
    paths = [p for p in [*found["inputs"], *found["outputs"], *others] if _outside_tmp(p)]
    return DeclaredPaths(paths, set(found["outputs"]) - set(found["inputs"]) - set(others))


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
    """Container paths of a sandboxed step: /tmp, volumes at their mountPaths, the rest in its root folder.

    `fs` is the step's file system folder: `root` is its root (the host's system folders are mounted into
    it), `upper` the writable layer of the system folders that hold declared paths (`layered`).
    """

    def __init__(self, tmp: Path, fs: Path, layered: list[str] | None = None) -> None:
        self.tmp = tmp
        self.fs = fs
        self.layered = list(layered or [])
        self.volumes: dict[str, Path] = {}

    def container(self, path: str) -> str:
        """The path as the step's process sees it."""
        if path == str(self.tmp) or path.startswith(str(self.tmp) + "/"):
            return "/tmp" + path[len(str(self.tmp)) :]
        return path

    def host(self, path: str) -> Path:
        """Where a container path lives on this machine (its volume, its /tmp, or its root folder)."""
        for mount, src in self.volumes.items():
            if path == mount or path.startswith(mount.rstrip("/") + "/"):
                return Path(str(src) + path[len(mount.rstrip("/")) :])
        if path == "/tmp" or path.startswith("/tmp/"):
            return Path(str(self.tmp) + path[4:])
        if _root_of(path) in self.layered:
            return Path(str(self.fs / "upper") + path)
        return Path(str(self.fs / "root") + path)

    def rewrite(self, text: str) -> str:
        """Nothing to rewrite: the step sees its paths where the template declares them."""
        return text


def layered_folders(paths: list[str], system: tuple[str, ...]) -> list[str]:
    """The host's system folders (`/etc`, `/var`...) that hold a declared path: the step gets an overlay there."""
    return sorted({_root_of(p) for p in paths if _root_of(p).lstrip("/") in system and _root_of(p) != p})


def sandbox_folders(node_dir: Path, tmp: Path, paths: DeclaredPaths, uid: int, system: tuple[str, ...]) -> SandboxPaths:
    """Create a step's file system folders; its root, /var/tmp and the folders made here belong to `uid`.

    As Kubernetes and Argo prepare a pod, the parents of input artifacts, volume mounts and the working folder
    are made; of a path only outputs name (`DeclaredPaths.outputs`), only the top-level folder an image would
    have (`/mnt` of `/mnt/out/part.json`): the step makes `/mnt/out` itself (Argo's map-reduce example calls
    `os.mkdir("/mnt/out")`), and an output it never writes fails the step unless it is optional. As in a
    container whose user owns the places its template names, the step's unprivileged user can write there
    and new top-level folders (Hera's examples write `/a`), not the host's `/usr`.
    """
    fs = node_dir / "fs"
    if fs.exists():  # a retry of the same node id, or a stage that ran before a crash
        shutil.rmtree(fs, ignore_errors=True)
    for sub in ("root", "upper", "work", "var-tmp"):
        (fs / sub).mkdir(parents=True, exist_ok=True)
    (fs / "var-tmp").chmod(0o1777)
    mapper = SandboxPaths(tmp, fs, layered_folders(paths, system))
    owned = [fs / "root"]
    for path in paths:
        parts = [p for p in path.split("/") if p][:-1]
        if path in paths.outputs:
            parts = parts[:1]
        for depth in range(1, len(parts) + 1):
            folder = mapper.host("/" + "/".join(parts[:depth]))
            if str(folder).startswith(str(fs)) and not folder.exists():
                folder.mkdir(parents=True)
                owned.append(folder)
    if os.getuid() == 0:
        for folder in owned:
            os.chown(folder, uid, uid)
    return mapper


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
