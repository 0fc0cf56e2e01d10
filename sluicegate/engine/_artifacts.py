"""The local artifact repository (`SLUICE_HOME/artifacts`) and input-artifact sources.

Called by `_podfs` after a step exits (`save`) and by `_launchrequest` before it starts (`load`). Output artifacts are
stored as tar+gzip by default (`archive: {tar: {}}`), unarchived with `archive: {none: {}}`; node outputs
record them as `s3: {key: ...}` locations relative to the repository, the way Argo records a key in its
default repository. Inputs come from that repository (optionally `subPath`), from `raw.data`, from `git`
(local paths, file:// and remote URLs, at `revision`) or from `http.url` (http, https, and `file://` only
under the artifact repository or a folder named in `SLUICE_ARTIFACT_ROOTS`: a step must not read the stack's
token or secrets through an input).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from sluicegate.errors import StepError
from sluicegate.names import under

__all__ = ["load", "save"]


def _archive_none(art: dict[str, Any]) -> bool:
    archive = art.get("archive") or {}
    return "none" in archive


def save(repo: Path, key_prefix: str, art: dict[str, Any], src: Path) -> dict[str, Any] | None:
    """Store an output artifact from `src`; returns the record for node outputs (None: optional and missing)."""
    name = art["name"]
    if not src.exists():
        if art.get("optional"):
            return None
        raise StepError(
            f"output artifact {name!r}: {art.get('path')} does not exist", fix="write the file or mark it optional"
        )
    record = {k: v for k, v in art.items() if k in ("name", "path", "globalName", "archive", "mode", "artifactGC")}
    given = str(((art.get("s3") or {}).get("key")) or "").strip("/")
    if _archive_none(art):
        key = given or f"{key_prefix}/{name}"
        dest = under(repo, key, what=f"output artifact {name!r}: s3.key")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest)
    else:
        key = given or f"{key_prefix}/{name}.tgz"
        dest = under(repo, key, what=f"output artifact {name!r}: s3.key")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(dest, "w:gz") as tar:
            tar.add(src, arcname=src.name)
    record["s3"] = {"key": key}
    return record


def _from_repo(repo: Path, key: str, dest: Path, sub_path: str | None) -> None:
    stored = under(repo, key.strip("/"), what="input artifact s3.key")
    if not stored.exists():
        raise StepError(f"artifact {key!r} is not in the local repository", where=str(repo), fix="re-run the producer")
    if stored.is_file() and _is_tgz(stored):
        with tempfile.TemporaryDirectory(dir=dest.parent) as scratch:
            with tarfile.open(stored) as tar:
                tar.extractall(scratch, filter="data")
            entries = list(Path(scratch).iterdir())
            root = entries[0] if len(entries) == 1 else Path(scratch)
            if sub_path:
                root = under(root, sub_path, what="input artifact subPath")
            _place(root, dest)
        return
    root = under(stored, sub_path, what="input artifact subPath") if sub_path else stored
    _place(root, dest, copy=True)


def _is_tgz(path: Path) -> bool:
    with path.open("rb") as f:
        magic = f.read(2)
    return magic == b"\x1f\x8b" and tarfile.is_tarfile(path)


def _place(src: Path, dest: Path, copy: bool = False) -> None:
    if dest.exists() and dest.is_dir() and src.is_dir():
        shutil.copytree(src, dest, dirs_exist_ok=True)
        return
    if dest.exists():
        if dest.is_dir():
            shutil.rmtree(dest)
        else:
            dest.unlink()
    if src.is_dir():
        shutil.copytree(src, dest) if copy else shutil.move(str(src), dest)
    else:
        shutil.copy2(src, dest) if copy else shutil.move(str(src), dest)


def _git(spec: dict[str, Any], dest: Path) -> None:
    url = str(spec.get("repo", ""))
    if url.startswith("/") and not url.startswith("file://"):
        url = f"file://{url}"
    cmd = ["git", "clone", "--quiet"]
    if spec.get("depth") and not spec.get("revision"):
        cmd += ["--depth", str(spec["depth"])]
    if spec.get("singleBranch") and spec.get("branch"):
        cmd += ["--single-branch", "--branch", str(spec["branch"])]
    try:
        subprocess.run([*cmd, url, str(dest)], check=True, capture_output=True, text=True, timeout=600)
        if spec.get("revision"):
            subprocess.run(
                ["git", "-C", str(dest), "checkout", "--quiet", str(spec["revision"])],
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            )
    except subprocess.CalledProcessError as e:
        raise StepError(
            f"git input {spec.get('repo')!r} at {spec.get('revision', 'HEAD')!r} failed: {e.stderr.strip()}",
            fix="check the repository URL and revision",
        ) from e


def _allowed_url(repo: Path, url: str) -> str:
    """`url` if an http input may fetch it: http(s), or a file:// path inside the artifact roots."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in ("http", "https"):
        return url
    if parsed.scheme != "file":
        raise StepError(f"http input {url!r}: scheme {parsed.scheme!r} is not supported", fix="use http(s)://")
    path = Path(urllib.parse.unquote(parsed.path)).resolve()
    roots = [repo, *(Path(p) for p in os.environ.get("SLUICE_ARTIFACT_ROOTS", "").split(os.pathsep) if p)]
    if parsed.netloc not in ("", "localhost") or not any(path.is_relative_to(r.resolve()) for r in roots):
        raise StepError(
            f"http input {url!r} is outside the artifact roots",
            where=", ".join(str(r) for r in roots),
            fix="serve the file over http, or add its folder to SLUICE_ARTIFACT_ROOTS",
        )
    return url


def load(repo: Path, art: dict[str, Any], dest: Path) -> bool:
    """Materialize an input artifact at `dest`; False when it is optional and has no source."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    sub_path = art.get("subPath")
    if "raw" in art:
        dest.write_text(str((art["raw"] or {}).get("data", "")))
    elif "git" in art:
        _git(art["git"], dest)
    elif "http" in art:
        try:
            url = _allowed_url(repo, str(art["http"]["url"]))
            with urllib.request.urlopen(url, timeout=300) as resp:
                dest.write_bytes(resp.read())
        except OSError as e:
            raise StepError(f"http input {art['http'].get('url')!r} failed: {e}", fix="check the URL") from e
    elif "s3" in art and (art["s3"] or {}).get("key"):
        _from_repo(repo, str(art["s3"]["key"]), dest, sub_path)
    elif art.get("optional"):
        return False
    else:
        raise StepError(
            f"input artifact {art.get('name')!r} has no source",
            fix="pass it with arguments.artifacts (from:), or give raw/git/http",
        )
    if art.get("mode") is not None and dest.exists():
        dest.chmod(int(art["mode"]))
    return True
