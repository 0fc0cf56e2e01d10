"""Run `sluice` as a user does: a subprocess with its own SLUICE_HOME (the stack it talks to, if any)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def sluice(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m sluicegate ARGS` with SLUICE_HOME=home and a wide terminal."""
    env = {**os.environ, "SLUICE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "sluicegate", *args], capture_output=True, text=True, env=env, timeout=timeout
    )
