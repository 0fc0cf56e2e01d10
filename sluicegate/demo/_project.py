"""The demo's model project: a git work tree and a bare "remote" whose hook posts signed GitHub webhooks.

The project is an MLflow Project, as a team's own model repository is: `sluice init --template
classification` makes it (data/train.csv, data/eval.csv, python_env.yaml pinned to this stack's versions),
then `sluicegate/demo/project` gives it its MLproject and train.py (which can log a model that degrades in
service) and README. Each demo commit writes one of `project/commits/*.yaml` as `sluicegate.yaml`: the
entry point's parameters, the promotion metric, the stress-test and canary limits. The bare repository's
`post-receive` hook posts a GitHub `push` webhook, signed with the `github-webhook` secret, to the stack's
`github` EventSource — what GitHub does for a repository on github.com.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from sluicegate.demo._scenario import MODEL
from sluicegate.errors import ServiceError
from sluicegate.project import scaffold

__all__ = ["DemoProject"]


def _sample(name: str) -> str:
    return resources.files("sluicegate.demo").joinpath("project", name).read_text()


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
        scaffold(self.work, "classification", name=MODEL)
        self._git("remote", "add", "origin", self.remote.as_uri())
        for name in ("MLproject", "train.py", "README.md"):
            (self.work / name).write_text(_sample(name))

    def eval_rows(self) -> tuple[list[str], list[list[float]]]:
        """The columns and first 100 rows of the project's evaluation data without its target: steady traffic."""
        import pandas as pd

        frame = pd.read_csv(self.work / "data" / "eval.csv").drop(columns=["target"])
        return [str(c) for c in frame.columns], frame.head(100).to_numpy().tolist()

    def commit_and_push(self, config_file: str, message: str) -> tuple[str, str]:
        """Write `commits/<config_file>` as sluicegate.yaml, commit, push; returns (sha, what the hook said)."""
        (self.work / "sluicegate.yaml").write_text(_sample(f"commits/{config_file}"))
        self._git("add", "-A")
        self._git("commit", "-q", "-m", message)
        sha = self._git("rev-parse", "HEAD")
        said = self._git("push", "-q", "origin", "main")
        return sha, said
