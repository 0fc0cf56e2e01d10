"""Finished steps' root folders leave their run folder at once and are deleted in the background.

They wait while steps run (the deletion would compete with the next step's start), unless many have piled
up; what a stopped or crashed stack left in the trash is deleted when the next one starts (the sandboxed
step's side is in test_sandbox).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluicegate.engine import _reaper
from sluicegate.engine._reaper import Reaper


def _root_folder(parent: Path) -> Path:
    fs = parent / "fs"
    (fs / "root" / "usr" / "lib").mkdir(parents=True)
    (fs / "root" / "written-by-the-step").write_text("x")
    return fs


def _until_empty(reaper: Reaper) -> None:
    for _ in range(400):  # the thread polls; bounded so a broken reaper fails the test instead of hanging it
        if not any(reaper.trash.iterdir()) and reaper.pending() == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"trash not emptied: {sorted(p.name for p in reaper.trash.iterdir())}")


@pytest.fixture
def busy() -> list[bool]:
    return [False]


@pytest.fixture
def reaper(tmp_path: Path, busy: list[bool]) -> Iterator[Reaper]:
    r = Reaper(tmp_path / "run" / ".trash", lambda: busy[0])
    r.start()
    yield r
    r.stop()


def test_a_discarded_folder_leaves_its_run_folder_at_once_and_is_deleted(reaper: Reaper, tmp_path: Path) -> None:
    fs = _root_folder(tmp_path / "run" / "ns" / "wf" / "node")
    reaper.discard(fs)
    assert not fs.exists()
    _until_empty(reaper)


def test_folders_wait_while_steps_run(reaper: Reaper, tmp_path: Path, busy: list[bool]) -> None:
    busy[0] = True
    reaper.discard(_root_folder(tmp_path / "a"))
    reaper.discard(_root_folder(tmp_path / "b"))
    assert len(list(reaper.trash.iterdir())) == 2
    assert reaper.pending() == 2
    busy[0] = False
    _until_empty(reaper)


def test_a_pile_of_folders_is_deleted_even_while_steps_run(
    reaper: Reaper, tmp_path: Path, busy: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_reaper, "_MAX_WAITING", 3)
    busy[0] = True
    for name in ("a", "b", "c"):
        reaper.discard(_root_folder(tmp_path / name))
    _until_empty(reaper)


def test_leftovers_of_an_earlier_stack_are_deleted_at_start(tmp_path: Path) -> None:
    trash = tmp_path / "run" / ".trash"
    trash.mkdir(parents=True)
    _root_folder(trash / "123-0-node")
    reaper = Reaper(trash, lambda: True)  # steps running (adopted ones): leftovers go anyway
    reaper.start()
    try:
        _until_empty(reaper)
    finally:
        reaper.stop()


def test_stop_deletes_what_is_queued(tmp_path: Path) -> None:
    reaper = Reaper(tmp_path / ".trash", lambda: True)
    reaper.start()
    reaper.discard(_root_folder(tmp_path / "a"))
    reaper.stop()
    assert list(reaper.trash.iterdir()) == []


def test_a_missing_folder_is_nothing_to_discard(reaper: Reaper, tmp_path: Path) -> None:
    reaper.discard(tmp_path / "never-made" / "fs")
    assert reaper.pending() == 0
