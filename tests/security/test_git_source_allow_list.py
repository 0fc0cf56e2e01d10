"""A step's code comes only from repositories the stack trusts, whatever `git-repo` a submitter or an event gives.

The allow-list is ConfigMap `git-repositories` in the workflow's namespace; without it, the project's own
remote repositories and local repositories owned by the stack's user are trusted. A refused repository is
never cloned: the node fails with the entry to add.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluicegate.engine.testing import LocalEngine

NS = "sluicegate"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    with LocalEngine(tmp_path_factory.mktemp("git-allow")) as eng:
        yield eng


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trusted") / "repo"
    path.mkdir()
    git = ["git", "-C", str(path), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "v.txt").write_text("code\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "1"], check=True)
    return path


@pytest.fixture(autouse=True)
def no_allow_list(engine: LocalEngine) -> Iterator[None]:
    yield
    if engine.store.try_get("ConfigMap", NS, "git-repositories") is not None:
        engine.store.delete("ConfigMap", NS, "git-repositories")


def _allow(engine: LocalEngine, *entries: str) -> None:
    engine.store.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "git-repositories", "namespace": NS},
            "data": {"repositories": "# trusted\n" + "\n".join(entries) + "\n"},
        }
    )


def _run(engine: LocalEngine, url: str) -> dict[str, Any]:
    template = {
        "name": "t",
        "inputs": {"artifacts": [{"name": "src", "path": "/tmp/src", "git": {"repo": url}}]},
        "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["cat /tmp/src/v.txt"]},
    }
    doc = {"metadata": {"generateName": "git-", "namespace": NS}, "spec": {"entrypoint": "t", "templates": [template]}}
    return engine.wait(engine.submit(doc), timeout=60)


def _message(done: dict[str, Any]) -> str:
    return " ".join(str(n.get("message", "")) for n in done["status"]["nodes"].values())


def test_own_local_repository_is_trusted_by_default(engine: LocalEngine, repo: Path) -> None:
    done = _run(engine, f"file://{repo}")
    assert done["status"]["phase"] == "Succeeded", done["status"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_local_repository_of_another_user_is_refused(engine: LocalEngine, tmp_path: Path, repo: Path) -> None:
    planted = tmp_path / "planted"
    subprocess.run(["cp", "-a", str(repo), str(planted)], check=True)
    os.chown(planted, 65534, 65534)
    done = _run(engine, str(planted))
    assert done["status"]["phase"] in ("Failed", "Error")
    assert "owned by another user" in _message(done) and "git-repositories" in _message(done)


def test_untrusted_remote_is_refused_before_any_fetch(engine: LocalEngine) -> None:
    done = _run(engine, "https://attacker.example/evil.git")
    assert done["status"]["phase"] in ("Failed", "Error")
    assert "not a trusted repository" in _message(done) and "https://github.com/sluicegate/" in _message(done)


def test_dot_segments_cannot_leave_a_trusted_prefix(engine: LocalEngine) -> None:
    done = _run(engine, "https://github.com/sluicegate/../attacker/evil.git")
    assert done["status"]["phase"] in ("Failed", "Error") and "'..' path segments" in _message(done)


def test_allow_list_confines_local_repositories_to_its_folders(engine: LocalEngine, repo: Path) -> None:
    _allow(engine, "https://github.com/acme/", "/nonexistent/git")
    refused = _run(engine, f"file://{repo}")
    assert refused["status"]["phase"] in ("Failed", "Error")
    assert "not under a trusted folder" in _message(refused)
    _allow(engine, str(repo.parent))
    assert _run(engine, f"file://{repo}")["status"]["phase"] == "Succeeded"
