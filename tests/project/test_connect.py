"""`sluice project connect`: a model repository's `git push` reaches a running stack as a signed GitHub webhook.

Every command runs as the user runs it (`python -m sluicegate` in a subprocess). One `sluice up --detach`
(API and events only, no MLflow: nothing here trains) serves the module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack.conftest import run_sluice

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NO_MLFLOW = "http://127.0.0.1:9"  # nothing here trains; the stack only records the URI
LEFT_OUT = ("workflow-controller", "prometheus", "rollouts", "ui", "slack-sink")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("connect") / "home"
    without = [arg for part in LEFT_OUT for arg in ("--without", part)]
    manifests = ["--manifests", str(ROOT / "manifests")]
    up = run_sluice(home, "up", "--detach", "--port", "0", "--mlflow-tracking-uri", NO_MLFLOW, *manifests, *without)
    assert up.returncode == 0, up.stderr + up.stdout
    try:
        yield home
    finally:
        run_sluice(home, "down")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repos") / "churn"
    made = run_sluice(root.parent / "unused-home", "init", str(root), "--template", "classification")
    assert made.returncode == 0, made.stderr
    return root


def _events(home: Path) -> list[dict[str, object]]:
    listed = run_sluice(home, "events", "list", "--source", "github", "--json")
    assert listed.returncode == 0, listed.stderr
    docs: list[dict[str, object]] = json.loads(listed.stdout)
    return docs


def test_connected_push_posts_a_signed_webhook_the_event_source_accepts(home: Path, project: Path) -> None:
    first = run_sluice(home, "project", "connect", str(project))
    assert first.returncode == 0, first.stderr
    assert "churn: set up" in first.stdout and "remote sluice" in first.stdout
    assert "git push sluice main" in first.stdout

    (project / "train.py").write_text((project / "train.py").read_text() + "\n# tuned\n")
    git(project, "commit", "-qam", "tune")
    sha = git(project, "rev-parse", "HEAD").stdout.strip()
    pushed = git(project, "push", "sluice", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert "webhook refs/heads/main: 200" in pushed.stderr  # the EventSource checked the signature and took it

    events = _events(home)
    bodies = [json.dumps(e) for e in events]
    assert any(sha in b and "churn" in b for b in bodies), bodies[:1]


def test_connect_again_changes_nothing_and_disconnect_removes_remote_and_hook(home: Path, project: Path) -> None:
    assert run_sluice(home, "project", "connect", str(project)).returncode == 0
    again = run_sluice(home, "project", "connect", str(project))
    assert again.returncode == 0, again.stderr
    assert "already connected, nothing changed" in again.stdout
    bare = home / "git" / "churn.git"
    assert (bare / "hooks" / "post-receive").is_file()

    gone = run_sluice(home, "project", "connect", str(project), "--disconnect")
    assert gone.returncode == 0, gone.stderr
    assert "removed remote sluice" in gone.stdout
    assert git(project, "remote", "get-url", "sluice").returncode != 0
    assert not (bare / "hooks" / "post-receive").exists()
    assert "not connected" in run_sluice(home, "project", "connect", str(project), "--disconnect").stdout


def test_github_remote_gets_the_webhook_settings_to_enter(home: Path, project: Path) -> None:
    git(project, "remote", "add", "origin", "git@github.com:acme/churn-model.git")
    try:
        shown = run_sluice(home, "project", "connect", str(project), "--show-secret")
    finally:
        git(project, "remote", "remove", "origin")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    secret = json.loads((home / "secrets.json").read_text())["github-webhook"]["secret"]
    assert "https://github.com/acme/churn-model/settings/hooks/new" in out
    assert "Content type:  application/json" in out and "Just the push event" in out
    assert secret in out
    endpoints = json.loads((home / "endpoints.json").read_text())
    assert endpoints["eventsources"]["github"] in out


def test_remote_of_the_same_name_pointing_elsewhere_is_left_alone(home: Path, project: Path, tmp_path: Path) -> None:
    git(project, "remote", "add", "mine", str(tmp_path / "elsewhere.git"))
    try:
        refused = run_sluice(home, "project", "connect", str(project), "--remote", "mine")
        assert refused.returncode == 1
        assert "the remote 'mine' exists and points to" in refused.stderr and "--remote" in refused.stderr
        assert git(project, "remote", "get-url", "mine").stdout.strip() == str(tmp_path / "elsewhere.git")
    finally:
        git(project, "remote", "remove", "mine")


def test_connect_bad_input_is_one_line(home: Path, tmp_path: Path, project: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    not_git = run_sluice(home, "project", "connect", str(plain))
    assert not_git.returncode == 1
    expected = f"error: {plain}: not a git repository; run `git init` and commit there, or create a model project"
    assert not_git.stderr.strip().splitlines() == [f"{expected} with `sluice init`"]

    git(plain, "init", "-q")
    no_config = run_sluice(home, "project", "connect", str(plain))
    assert no_config.returncode == 1
    assert "no sluicegate.yaml at the repository root" in no_config.stderr
    assert len(no_config.stderr.strip().splitlines()) == 1

    (plain / "sluicegate.yaml").write_text("name: Not_A_Name\n")
    invalid = run_sluice(home, "project", "connect", str(plain))
    assert invalid.returncode == 1 and "sluicegate.yaml" in invalid.stderr and "name" in invalid.stderr

    no_stack = run_sluice(tmp_path / "no-stack-home", "project", "connect", str(project))
    assert no_stack.returncode == 1
    assert "no local stack is running" in no_stack.stderr and "sluice up" in no_stack.stderr
    assert not (tmp_path / "no-stack-home" / "git").exists()


def test_hook_without_a_running_stack_keeps_the_push(tmp_path: Path) -> None:
    bare = tmp_path / "m.git"
    git(tmp_path, "init", "--bare", "-q", "-b", "main", str(bare))
    hook = bare / "hooks" / "post-receive"
    source = Path(__import__("sluicegate.eventing", fromlist=["x"]).__file__).parent / "post_receive.py"
    hook.write_text(f"#!{sys.executable}\n{source.read_text()}")
    hook.chmod(0o755)
    git(bare, "config", "sluice.endpointsFile", str(tmp_path / "gone" / "endpoints.json"))
    work = tmp_path / "w"
    git(tmp_path, "clone", "-q", str(bare), str(work))
    (work / "a.txt").write_text("a")
    git(work, "add", "a.txt")
    git(work, "commit", "-qm", "a")
    pushed = git(work, "push", "origin", "HEAD:main")
    assert pushed.returncode == 0
    assert "no running stack to notify" in pushed.stderr
