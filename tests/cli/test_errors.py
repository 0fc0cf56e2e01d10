"""The CLI: help everywhere, and every user error is one line on stderr with a non-zero exit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def sluice(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "sluicegate", *args], capture_output=True, text=True, env=env)


@pytest.mark.parametrize("command", [[], ["up"], ["demo"], ["rollout"], ["events"], ["deploy"], ["lint"]])
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    out = sluice(*command, "--help", home=tmp_path)
    assert out.returncode == 0 and "Usage" in out.stdout


def test_command_needing_a_stack_fails_with_one_line_when_none_runs(tmp_path: Path) -> None:
    out = sluice("demo", home=tmp_path / "nothing-here")
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ")
    assert "no local stack is running" in out.stderr and "sluice up --detach" in out.stderr
    assert "Traceback" not in out.stderr
