"""A real `git push` to a bare repository whose hook posts signed GitHub push webhooks starts project-pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sluicegate.eventing
from tests.events.conftest import GITHUB_SECRET, Runtime, post_github, push_payload, wait_processed

HOOK = Path(sluicegate.eventing.__file__).parent / "post_receive.py"
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True)
    return out.stdout.strip() + out.stderr.strip()


@pytest.fixture
def repo(tmp_path: Path, runtime: Runtime) -> Path:
    """A clone of a bare repository whose post-receive hook posts to the runtime's github endpoint."""
    bare = tmp_path / "models.git"
    git(tmp_path, "init", "--bare", "-q", "-b", "main", str(bare))
    hook = bare / "hooks" / "post-receive"
    hook.write_text(f"#!{sys.executable}\n" + HOOK.read_text())
    hook.chmod(0o755)
    git(bare, "config", "sluice.webhookUrl", runtime.url("github", "push"))
    git(bare, "config", "sluice.webhookSecret", GITHUB_SECRET)
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(bare), str(work))
    git(work, "checkout", "-q", "-b", "main")
    (work / "README.md").write_text("models\n")
    git(work, "add", "README.md")
    git(work, "commit", "-q", "-m", "initial")
    git(work, "push", "-q", "origin", "main")
    wait_processed(runtime)
    return work


def pipeline_revisions(rt: Runtime) -> list[str]:
    out = []
    for wf in rt.workflows("project-pipeline"):
        params = {p["name"]: p["value"] for p in wf["spec"]["arguments"]["parameters"]}
        out.append(params["git-revision"])
    return out


def test_each_push_to_main_starts_exactly_one_pipeline_with_its_sha(repo: Path, runtime: Runtime) -> None:
    [initial] = pipeline_revisions(runtime)  # a model repository is the model: any change trains
    (repo / "sluicegate.yaml").write_text("name: churn\ntrain: {parameters: {C: 1.0}}\n")
    git(repo, "add", "sluicegate.yaml")
    git(repo, "commit", "-q", "-m", "tune C")
    sha = git(repo, "rev-parse", "HEAD")
    output = git(repo, "push", "origin", "main")
    assert "200 success" in output
    wait_processed(runtime)
    assert sorted(pipeline_revisions(runtime)) == sorted([initial, sha])
    wf = next(w for w in runtime.workflows("project-pipeline") if sha in json.dumps(w["spec"]))
    params = {p["name"]: p["value"] for p in wf["spec"]["arguments"]["parameters"]}
    assert params["git-repo"].startswith("file://") and params["git-repo"].endswith("models.git")
    # the environment is built where the step runs: the local stack's folder here, a Kaniko image on a cluster
    assert params["build-target"] == "auto"
    assert wf["metadata"]["labels"]["events.argoproj.io/sensor"] == "train-on-push"
    assert wf["metadata"]["namespace"] == "sluicegate"


def test_push_adding_or_removing_code_starts_the_pipeline(repo: Path, runtime: Runtime) -> None:
    before = pipeline_revisions(runtime)
    (repo / "components").mkdir()
    (repo / "components" / "train.py").write_text("print('x')\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "component")
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "push", "-q", "origin", "main")
    wait_processed(runtime)
    git(repo, "rm", "-q", "components/train.py")
    git(repo, "commit", "-q", "-m", "remove")
    second = git(repo, "rev-parse", "HEAD")
    git(repo, "push", "-q", "origin", "main")
    wait_processed(runtime)
    assert sorted(pipeline_revisions(runtime)) == sorted([*before, first, second])


def test_tags_other_branches_and_deletions_start_nothing(repo: Path, runtime: Runtime) -> None:
    before = pipeline_revisions(runtime)
    git(repo, "tag", "v1")
    git(repo, "push", "-q", "origin", "v1")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "params.yaml").write_text("seed: 1\n")
    git(repo, "add", "params.yaml")
    git(repo, "commit", "-q", "-m", "feature params")
    git(repo, "push", "-q", "origin", "feature")
    git(repo, "push", "-q", "origin", "--delete", "feature")
    wait_processed(runtime)
    assert pipeline_revisions(runtime) == before
    events = runtime.store.list("Event")
    assert len(events) == 4  # initial + tag + feature + deletion, all recorded
    assert [e["status"]["phase"] for e in events].count("Ignored") == 3


def test_ping_replay_and_bad_signature_start_nothing(repo: Path, runtime: Runtime) -> None:
    url = runtime.url("github", "push")
    before = len(runtime.store.list("Event"))
    started = pipeline_revisions(runtime)
    ping = post_github(url, {"zen": "Design for failure.", "hook_id": 1}, event="ping")
    assert ping.status_code == 200 and "ignored" in ping.text
    first = post_github(url, push_payload(after="b" * 40), delivery="delivery-1")
    replay = post_github(url, push_payload(after="b" * 40), delivery="delivery-1")
    assert (first.status_code, replay.status_code) == (200, 200)
    assert "duplicate" in replay.text
    forged = post_github(url, push_payload(after="c" * 40), secret="wrong-secret")
    unsigned = post_github(url, push_payload(after="d" * 40), secret=None)
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    wait_processed(runtime)
    assert sorted(pipeline_revisions(runtime)) == sorted([*started, "b" * 40])
    assert len(runtime.store.list("Event")) == before + 2  # the ping (ignored) and the first delivery
