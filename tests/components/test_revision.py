"""Lineage records the commit, not the branch: `git-revision=main` becomes the SHA that was checked out."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from mlflow.tracking import MlflowClient

from components.train import resolve_revision
from tests.components.conftest import SAMPLE, run_component


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def _checked_out(tmp_path: Path) -> tuple[Path, str]:
    """A model repository with two commits on main, cloned and checked out at `main` as the engine does."""
    origin = tmp_path / "origin"
    shutil.copytree(SAMPLE, origin)
    _git(origin, "init", "--quiet", "-b", "main")
    _git(origin, "add", ".")
    _git(origin, "commit", "--quiet", "-m", "first")
    (origin / "README.md").write_text("second\n")
    _git(origin, "add", ".")
    _git(origin, "commit", "--quiet", "-m", "second")
    _git(origin, "tag", "v2")
    clone = tmp_path / "src"
    _git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    _git(clone, "checkout", "--quiet", "main")
    return clone, _git(origin, "rev-parse", "HEAD").strip()


def test_branch_and_tag_resolve_to_the_checked_out_commit(tmp_path: Path) -> None:
    clone, sha = _checked_out(tmp_path)
    assert len(sha) == 40
    assert resolve_revision("main", clone / "params.yaml") == sha
    assert resolve_revision("v2", clone / "params.yaml") == sha
    assert resolve_revision(sha[:8], clone / "params.yaml") == sha


def test_revision_not_checked_out_here_is_kept_as_given(tmp_path: Path) -> None:
    clone, _ = _checked_out(tmp_path)
    first = _git(clone, "rev-parse", "HEAD~1").strip()
    assert resolve_revision(first, clone / "params.yaml") == first  # names another commit than the tree's
    assert resolve_revision("0123456789abcdef", clone / "params.yaml") == "0123456789abcdef"
    assert resolve_revision("main", tmp_path / "no-repo" / "params.yaml") == "main"
    assert resolve_revision("", clone / "params.yaml") == ""


def test_train_tags_mlflow_with_the_sha_of_main(mlflow_server: str, model_name: str, tmp_path: Path) -> None:
    clone, sha = _checked_out(tmp_path)
    out = run_component(
        "train",
        "--model-name", model_name,
        "--tracking-uri", mlflow_server,
        "--params-file", str(clone / "params.yaml"),
        "--git-revision", "main",
        "--outputs-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    client = MlflowClient(mlflow_server)
    version = client.get_model_version(model_name, (tmp_path / "out" / "model-version").read_text())
    run_tags = client.get_run(version.run_id).data.tags
    assert run_tags["mlflow.source.git.commit"] == sha and run_tags["git.revision"] == sha
    assert version.tags["git.revision"] == sha
