"""A git `post-receive` hook that posts GitHub-format, signed `push` webhooks for every updated ref.

Installed by `sluice demo` and the events tests (and usable by hand) into a bare repository as
`hooks/post-receive`, with a Python shebang; it uses only the standard library, so it runs with any Python.
Configuration is read from the bare repository's git config at every push: `sluice.webhookUrl` (the
github EventSource URL) and `sluice.webhookSecret` (the HMAC secret), or, as `sluice project connect`
sets them, `sluice.endpointsFile` (a stack's endpoints.json: the EventSource's current address) and
`sluice.secretsFile` (its secrets.json: the Secret `github-webhook`, key `secret`).
For each `<old> <new> <ref>` line on stdin it computes the pushed commits (`old..new`, or the new
branch's history when the ref was created) and their added/modified/removed files, then POSTs the payload
with `X-GitHub-Event: push`, a fresh `X-GitHub-Delivery` and `X-Hub-Signature-256`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

__all__ = ["commit_of", "git", "main", "payload", "post", "setting", "target"]

ZERO = "0" * 40


def git(*args: str) -> str:
    """Run git in the repository the hook runs in; its stdout."""
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout.strip()


def commit_of(sha: str) -> dict[str, object]:
    """A commit as GitHub's push payload lists it: id, message, author, added/modified/removed paths."""
    added: list[str] = []
    modified: list[str] = []
    removed: list[str] = []
    for line in git("diff-tree", "--no-commit-id", "--name-status", "-r", "--root", "-m", sha).splitlines():
        status, *paths = line.split("\t")
        if status.startswith("A") or status.startswith("C"):
            added.append(paths[-1])
        elif status.startswith("D"):
            removed.append(paths[0])
        elif status.startswith("R"):
            removed.append(paths[0])
            added.append(paths[1])
        else:
            modified.append(paths[-1])
    message = git("log", "-1", "--format=%B", sha)
    author = git("log", "-1", "--format=%an", sha)
    return {
        "id": sha,
        "message": message,
        "author": {"name": author},
        "added": added,
        "modified": modified,
        "removed": removed,
    }


def payload(old: str, new: str, ref: str) -> dict[str, object]:
    """GitHub's `push` payload for one updated ref."""
    deleted, created = new == ZERO, old == ZERO
    if deleted:
        shas: list[str] = []
    elif created:
        shas = git("rev-list", "--reverse", "--max-count=20", new).splitlines()
    else:
        shas = git("rev-list", "--reverse", f"{old}..{new}").splitlines()
    commits = [commit_of(s) for s in shas]
    path = os.path.abspath(os.environ.get("GIT_DIR", "."))
    name = os.path.basename(path).removesuffix(".git")
    try:
        default = git("symbolic-ref", "--short", "HEAD")
    except subprocess.CalledProcessError:
        default = "main"
    return {
        "ref": ref,
        "before": old,
        "after": new,
        "created": created,
        "deleted": deleted,
        "forced": False,
        "compare": "",
        "commits": commits,
        "head_commit": commits[-1] if commits else None,
        "repository": {
            "name": name,
            "full_name": f"local/{name}",
            "clone_url": f"file://{path}",
            "default_branch": default,
        },
        "pusher": {"name": os.environ.get("USER", "git")},
    }


def post(url: str, secret: str, body: bytes) -> str:
    """POST one signed delivery; the status line and body that came back."""
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "User-Agent": "GitHub-Hookshot/sluicegate-test",
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return f"{r.status} {r.read().decode().strip()}"
    except urllib.error.HTTPError as e:
        return f"{e.code} {e.read().decode().strip()}"


def setting(key: str) -> str:
    """A `sluice.*` value of the repository's git config; empty when unset."""
    try:
        return git("config", "--get", key)
    except subprocess.CalledProcessError:
        return ""


def target() -> tuple[str, str]:
    """Where to post and the secret to sign with; empty URL when the stack named there is not running."""
    url, secret = setting("sluice.webhookUrl"), setting("sluice.webhookSecret")
    endpoints, secrets = setting("sluice.endpointsFile"), setting("sluice.secretsFile")
    try:
        if endpoints:
            with open(endpoints) as f:
                url = str(json.load(f).get("eventsources", {}).get("github", ""))
        if secrets:
            with open(secrets) as f:
                secret = str(json.load(f).get("github-webhook", {}).get("secret", ""))
    except (OSError, ValueError):
        return "", secret
    return url, secret


def main() -> int:
    """Post one webhook per `<old> <new> <ref>` line on stdin."""
    url, secret = target()
    if not url:
        print("webhook: no running stack to notify (sluice up --detach); the push is stored", file=sys.stderr)
        return 0
    for line in sys.stdin:
        if not line.strip():
            continue
        old, new, ref = line.split()
        body = json.dumps(payload(old, new, ref)).encode()
        print(f"webhook {ref}: {post(url, secret, body)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
