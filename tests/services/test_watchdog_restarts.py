"""A stack process that dies (killed, crashed) is started again on its port and the restart is reported."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from sluicegate.services import ManagedProcess, Watchdog, free_port, wait_http


def test_killed_process_is_restarted_on_its_port_and_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    proc = ManagedProcess(argv, tmp_path / "server.log", cwd=tmp_path)
    watchdog = Watchdog("demo", interval=0.2)
    try:
        wait_http(f"http://127.0.0.1:{port}/", 30, proc.proc, proc.log)
        watchdog.watch("web", lambda: proc)
        assert watchdog.report() == {}
        first = proc.pid
        caplog.set_level(logging.WARNING, logger="sluicegate.stack")
        os.killpg(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while proc.pid == first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.pid != first
        wait_http(f"http://127.0.0.1:{port}/", 30, proc.proc, proc.log)
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        assert watchdog.report() == {"restarts": {"web": 1}, "lastExitCode": {"web": -signal.SIGKILL}}
        assert any("web exited with code -9; restarted it" in r.getMessage() for r in caplog.records)
    finally:
        watchdog.stop()
        proc.stop()
    assert not proc.alive()


def test_stopped_watchdog_does_not_bring_a_stopped_process_back(tmp_path: Path) -> None:
    proc = ManagedProcess([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "p.log")
    watchdog = Watchdog("demo", interval=0.1)
    watchdog.watch("sleeper", lambda: proc)
    watchdog.stop()
    proc.stop()
    time.sleep(0.5)
    assert not proc.alive() and watchdog.report() == {}


def test_status_table_shows_restarts_first() -> None:
    from rich.console import Console

    from sluicegate.cli._view import status_table

    long = {f"counter_{i}": i for i in range(20)}
    console = Console(width=200, record=True)
    console.print(status_table({"events": {"healthy": True, **long, "restarts": {"relay": 2}}}))
    assert "restarts=(relay=2)" in console.export_text()
