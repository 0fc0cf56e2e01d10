"""The machine's folders: one rule for the cache folder, the environments folder in it unless set apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract import cache_dir, envs_dir
from sluicegate.config import Settings, settings


def test_cache_dir_follows_its_setting_then_xdg_then_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_CACHE_DIR", str(tmp_path / "given"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "given"
    monkeypatch.delenv("SLUICE_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "sluicegate"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "sluicegate"


def test_envs_dir_is_in_the_cache_unless_set_and_every_stack_of_the_machine_gets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SLUICE_ENVS_DIR", raising=False)
    assert envs_dir() == tmp_path / "cache" / "envs"
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "one"))
    one = settings()
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "two"))
    assert settings().envs_dir == one.envs_dir == tmp_path / "cache" / "envs"  # not under either home
    assert Settings(home=tmp_path / "three").envs_dir == one.envs_dir
    monkeypatch.setenv("SLUICE_ENVS_DIR", "elsewhere")
    assert settings().envs_dir == Path("elsewhere").absolute()
