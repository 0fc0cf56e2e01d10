"""The demo's model project: a git work tree and a bare "remote" whose hook posts signed GitHub webhooks.

The project content comes from `components/sample_project` (params.yaml, README); each demo commit writes
one of its `commits/*.yaml` as `params.yaml`. The bare repository's `post-receive` hook posts a GitHub
`push` webhook, signed with the `github-webhook` secret, to the stack's `github` EventSource — what GitHub
does for a repository on github.com.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from sluicegate.errors import ServiceError

__all__ = ["DemoProject"]


def _sample(name: str) -> str:
    return resources.files("components").joinpath("sample_project", name).read_text()


class DemoProject:
    """A fresh model project under `root` with remote `root/model-project.git`.

    Args:
        root: folder for the work tree and the bare repository (emptied first).
        webhook_url: the github EventSource's push endpoint.
        secret: the webhook HMAC secret.
    """

    def __init__(self, root: Path, webhook_url: str, secret: str) -> None:
        self.root = root
        self.work = root / "model-project"
        self.remote = root / "model-project.git"
        self.webhook_url = webhook_url
        self.secret = secret

    def _git(self, *args: str, cwd: Path | None = None) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Sluicegate Demo", "GIT_AUTHOR_EMAIL": "demo@sluicegate.invalid",
            "GIT_COMMITTER_NAME": "Sluicegate Demo", "GIT_COMMITTER_EMAIL": "demo@sluicegate.invalid",
        }  # fmt: skip
        done = subprocess.run(["git", *args], cwd=cwd or self.work, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise ServiceError(
                f"git {' '.join(args)} failed: {done.stderr.strip()[-300:]}", where=str(cwd or self.work)
            )
        return done.stdout.strip() + done.stderr.strip()

    def create(self) -> None:
        """Create the bare remote with its hook and an empty work tree tracking it."""
        if shutil.which("git") is None:
            raise ServiceError("git is not installed", fix="apt-get install git (make install does it as root)")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        self._git("init", "--bare", "--initial-branch=main", str(self.remote), cwd=self.root)
        self._git("config", "sluice.webhookUrl", self.webhook_url, cwd=self.remote)
        self._git("config", "sluice.webhookSecret", self.secret, cwd=self.remote)
        hook = self.remote / "hooks" / "post-receive"
        source = resources.files("sluicegate.eventing").joinpath("post_receive.py").read_text()
        hook.write_text(f"#!{sys.executable}\n{source}")
        hook.chmod(0o755)
        self._git("init", "--initial-branch=main", str(self.work), cwd=self.root)
        self._git("remote", "add", "origin", self.remote.as_uri())
        (self.work / "README.md").write_text(_sample("README.md"))

    def commit_and_push(self, params_file: str, message: str) -> tuple[str, str]:
        """Write `commits/<params_file>` as params.yaml, commit, push; returns (sha, what the hook said)."""
        (self.work / "params.yaml").write_text(_sample(f"commits/{params_file}"))
        self._git("add", "-A")
        self._git("commit", "-q", "-m", message)
        sha = self._git("rev-parse", "HEAD")
        said = self._git("push", "-q", "origin", "main")
        return sha, said
