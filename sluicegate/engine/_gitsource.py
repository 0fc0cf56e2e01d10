"""Which git repositories a step may take code from: the trusted-repositories allow-list.

Called by `_launchrequest` before it clones a `git` input artifact. A workflow parameter such as `git-repo` (filled
by a submitter, or by a Sensor from event data) decides where a pipeline's code comes from, and that code then
runs as a step; so the repository must be one the stack trusts. The list is ConfigMap `git-repositories` in
the workflow's namespace (key `repositories`, one entry a line, `#` comments):

- a remote entry (`https://github.com/acme/`, `ssh://git@host/org/`) is a repository's URL or a folder of
  repositories: a URL is trusted when it is the entry or lies below it at a `/` (`https://github.com/acme`
  trusts `https://github.com/acme/x`, never `https://github.com/acme-evil/x`);
- a local entry (an absolute folder, `/srv/git`) is a root a local repository must resolve under.

Without the ConfigMap the defaults hold: the project's own example repositories
(`https://github.com/sluicegate/`) and local repositories owned by the user the stack runs as (another local
user can neither plant one nor link to one it owns). A refused repository fails the node with the entry to add.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

from sluicegate.errors import StepError
from sluicegate.store import Store

__all__ = ["ALLOW_LIST", "DEFAULT_REMOTES", "check_repository"]

#: The ConfigMap (name, key) that lists the trusted repositories.
ALLOW_LIST = ("git-repositories", "repositories")
#: Remote prefixes trusted when the namespace has no ConfigMap.
DEFAULT_REMOTES = ("https://github.com/sluicegate/",)


def _entries(store: Store, namespace: str) -> list[str] | None:
    doc = store.try_get("ConfigMap", namespace, ALLOW_LIST[0])
    if doc is None:
        return None
    text = str((doc.get("data") or {}).get(ALLOW_LIST[1], ""))
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def _local_path(url: str) -> Path | None:
    """The folder of a local repository URL (`/path`, `file:///path`), None for a remote one."""
    if url.startswith("/"):
        return Path(url)
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        return Path(urllib.parse.unquote(parsed.path))
    return None


def _below(url: str, entry: str) -> bool:
    """Whether `url` is the remote entry itself or below it at a `/` boundary."""
    return url == entry or url.startswith(entry if entry.endswith("/") else entry + "/")


def check_repository(store: Store, namespace: str, url: str, where: str) -> None:
    """Raise StepError unless `url` is a repository the namespace trusts (see the module docstring)."""
    entries = _entries(store, namespace)
    local = _local_path(url)
    how = (
        f"add it to ConfigMap {ALLOW_LIST[0]!r} (key {ALLOW_LIST[1]!r}) in namespace {namespace!r}: "
        f"`sluice apply` a ConfigMap whose data.{ALLOW_LIST[1]} lists "
    )
    if local is not None:
        resolved = local.resolve()
        if entries is None:
            try:
                owned = resolved.stat().st_uid == os.geteuid()
            except OSError:
                owned = True  # missing: git reports it with the path
            if owned:
                return
            raise StepError(
                f"git repository {url!r} is owned by another user; only the stack's own local repositories "
                "are trusted by default",
                where=where,
                fix=how + "a folder that contains it",
            )
        roots = [Path(e).resolve() for e in entries if e.startswith("/")]
        if any(resolved.is_relative_to(r) for r in roots):
            return
        raise StepError(
            f"git repository {url!r} is not under a trusted folder ({', '.join(map(str, roots)) or 'none listed'})",
            where=where,
            fix=how + "a folder that contains it",
        )
    segments = urllib.parse.urlparse(url).path.split("/")
    if ".." in segments or "." in segments:  # a fetcher would normalise `owner/../other` away from the prefix
        raise StepError(f"git repository {url!r} has '.' or '..' path segments", where=where, fix="give its plain URL")
    remotes = list(DEFAULT_REMOTES) if entries is None else [e for e in entries if not e.startswith("/")]
    if any(_below(url, entry) for entry in remotes):
        return
    raise StepError(
        f"git repository {url!r} is not a trusted repository (trusted: {', '.join(remotes) or 'none'})",
        where=where,
        fix=how + "its URL or its owner's URL with a trailing '/'",
    )
