"""The commit SHA a branch or tag name stood for when the step checked the repository out.

Called by `python -m components.train` before it tags the MLflow run: `git-revision=main` is a moving name,
so lineage records the commit that was actually trained (`mlflow.source.git.commit`, `git.revision`).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

__all__ = ["resolve_revision"]

_SHA = re.compile(r"^[0-9a-f]{40}$")


def _git(repo: Path, *args: str) -> str:
    try:
        out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def resolve_revision(revision: str, inside: Path | None) -> str:
    """The full SHA of `revision` when the repository around `inside` has it checked out, else `revision`.

    Args:
        revision: what the workflow asked for (`main`, a tag, a SHA), possibly empty.
        inside: a path in the checked-out tree (the params file); None when there is none.
    """
    if not revision or inside is None:
        return revision
    repo = inside if inside.is_dir() else inside.parent
    head = _git(repo, "rev-parse", "--verify", "HEAD^{commit}")
    if not _SHA.match(head):
        return revision
    for name in (revision, f"origin/{revision}"):
        if _git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}") == head:
            return head
    return revision
