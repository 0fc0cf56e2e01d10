"""SLUICE_HOME is private to its owner, and two `sluice up` on one home are serialised by a lock."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sluicegate.config import Settings
from sluicegate.errors import ServiceError
from sluicegate.stack import Stack
from sluicegate.stack._lock import HomeLock


def test_a_new_home_is_mode_0700_and_an_existing_one_is_tightened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    with Stack(Settings(home=home, api_port=0), parts=[]):
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert stat.S_IMODE((home / "token").stat().st_mode) == 0o600


def test_a_second_up_racing_on_the_same_home_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    racer = HomeLock(home)
    racer.acquire()  # another `sluice up` between its pid-file check and writing its pid
    try:
        with pytest.raises(ServiceError, match="another `sluice up`"), Stack(Settings(home=home, api_port=0), parts=[]):
            pass
        assert not (home / "stack.pid").exists()
    finally:
        racer.release()
    with Stack(Settings(home=home, api_port=0), parts=[]):  # once the other is gone, this one starts
        assert (home / "stack.pid").exists()
