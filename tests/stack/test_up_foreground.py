"""`sluice up` in the foreground: serves until Ctrl-C (SIGINT) or SIGTERM, then stops everything it started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.stack.conftest import poll, without_args


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_up_foreground_stops_cleanly_on_signal(tmp_path: Path, mlflow_server: str, sig: signal.Signals) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_API_PORT": "0", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sluicegate", "up", "--mlflow-tracking-uri", mlflow_server, *without_args()],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        endpoints = poll(
            lambda: (home / "endpoints.json").exists() and json.loads((home / "endpoints.json").read_text())
        )
        poll(lambda: any("sluicegate stack running" in line for line in lines))  # the banner, then the signal
        token = (home / "token").read_text().strip()
        status = httpx.get(
            f"{endpoints['api']}/api/v1/sluice/status", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert status.json()["parts"]["api"]["healthy"] is True
        proc.send_signal(sig)
        proc.wait(timeout=60)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = "".join(lines)
    assert proc.returncode == 0, out
    assert "sluicegate stack running" in out and "stopped" in out
    assert not (home / "endpoints.json").exists()
    assert not (home / "stack.pid").exists()
