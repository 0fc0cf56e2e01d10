"""The committed manifests/ is exactly what `sluice render` writes now."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sluicegate.render import HEADER, collect, write_manifests

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
REGENERATE = "make render` (or `SLUICE_REGENERATE=1 pytest tests/definitions"


@pytest.fixture(autouse=True)
def default_image(monkeypatch: pytest.MonkeyPatch) -> None:
    # The committed manifests use the default components image.
    monkeypatch.delenv("SLUICE_COMPONENTS_IMAGE", raising=False)


def _ours(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.glob("*.yaml")) if p.read_text().startswith(HEADER)}


def test_manifests_directory_is_current(tmp_path: Path) -> None:
    if os.environ.get("SLUICE_REGENERATE") == "1":
        write_manifests(MANIFESTS, collect())
    write_manifests(tmp_path, collect())
    expected, committed = _ours(tmp_path), _ours(MANIFESTS)
    missing = sorted(set(expected) - set(committed))
    stale = sorted(set(committed) - set(expected))
    changed = sorted(n for n in set(expected) & set(committed) if expected[n] != committed[n])
    assert not (missing or stale or changed), (
        f"manifests/ is stale (missing {missing[:4]}, no longer defined {stale[:4]}, changed {changed[:4]}); "
        f"regenerate it with `{REGENERATE}`"
    )


def test_render_removes_only_its_own_stale_files(tmp_path: Path) -> None:
    (tmp_path / "workflowtemplate-gone.yaml").write_text(HEADER + "kind: WorkflowTemplate\n")
    (tmp_path / "hand-written.yaml").write_text("kind: ConfigMap\n")
    report = write_manifests(tmp_path, collect())
    assert [p.name for p in report.removed] == ["workflowtemplate-gone.yaml"]
    assert (tmp_path / "hand-written.yaml").exists()
    assert {f.status for f in report.files} == {"created"}


def test_render_twice_changes_nothing(tmp_path: Path) -> None:
    write_manifests(tmp_path, collect())
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    report = write_manifests(tmp_path, collect())
    assert {f.status for f in report.files} == {"unchanged"}
    assert before == {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}


def test_render_output_ignores_dict_order(tmp_path: Path) -> None:
    docs = collect()
    shuffled = [dict(reversed(list(d.items()))) for d in reversed(docs)]
    write_manifests(tmp_path / "a", docs)
    write_manifests(tmp_path / "b", shuffled)
    assert _ours(tmp_path / "a") == _ours(tmp_path / "b")


def test_render_rejects_two_objects_with_one_name(tmp_path: Path) -> None:
    from sluicegate.errors import ManifestError

    doc = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x"}}
    with pytest.raises(ManifestError, match="ServiceAccount/x is defined twice"):
        write_manifests(tmp_path, [doc, dict(doc)])
    assert not list(tmp_path.glob("*.yaml"))


def test_sluice_render_command_writes_and_summarises(tmp_path: Path) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "sluicegate", "render"]
    env = {**os.environ, "COLUMNS": "400"}
    out = subprocess.run([*command, "--out", str(tmp_path)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    written = sorted(tmp_path.glob("*.yaml"))
    assert out.stdout.strip().splitlines() == [
        f"{len(written)} manifests in {tmp_path}: {len(written)} created, 0 updated, 0 unchanged, 0 removed"
    ]
    assert (tmp_path / "cronworkflow-scheduled-retrain.yaml").read_text().startswith(HEADER)
    (tmp_path / "cronworkflow-scheduled-retrain.yaml").write_text(HEADER + "changed: true\n")
    (tmp_path / "stale.yaml").write_text(HEADER)
    again = subprocess.run([*command, "--out", str(tmp_path)], capture_output=True, text=True, env=env)
    lines = again.stdout.strip().splitlines()
    assert lines[:2] == ["updated cronworkflow-scheduled-retrain.yaml", "removed stale.yaml"], lines
    assert lines[2].endswith("1 updated, " + f"{len(written) - 1} unchanged, 1 removed")
    full = subprocess.run([*command, "--out", str(tmp_path), "-v"], capture_output=True, text=True, env=env)
    assert "workflowtemplate-model-pipeline.yaml" in full.stdout
