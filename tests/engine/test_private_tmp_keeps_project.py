"""A step's private /tmp must not hide the Python environment or the project when they live under /tmp."""

import sys
from pathlib import Path

import pytest

from sluicegate.engine import _zygote


def test_folders_under_tmp_on_the_path_are_kept_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not str(tmp_path).startswith("/tmp/"):
        pytest.skip("needs a temporary folder under /tmp")
    venv, inner = tmp_path / "venv", tmp_path / "venv" / "lib" / "site-packages"
    inner.mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [str(inner), str(venv), "/usr/lib/python3", str(tmp_path / "missing")])
    kept = _zygote._kept_under_tmp()
    assert str(venv) in kept
    assert str(inner) not in kept  # comes with its parent
    assert not any(k.startswith("/usr") or k.endswith("missing") for k in kept)
