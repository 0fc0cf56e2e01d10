"""Helpers for stack tests: run `sluice` as a subprocess with its own SLUICE_HOME, and a detached stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def run_sluice(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`python -m sluicegate ARGS` with SLUICE_HOME=home, from home's parent folder."""
    env = {**os.environ, "SLUICE_HOME": str(home), "COLUMNS": "200"}
    env.pop("SLUICE_MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "sluicegate", *args],
        cwd=home.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


#: A small valid WorkflowTemplate manifest for apply tests.
TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: hello, namespace: sluicegate}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine:3.20, command: [echo, hi]}
"""


#: Parts these tests leave out (`sluice up --without`). None now: with no EventSources applied, the events
#: part binds no fixed ports, so stacks of concurrent tests do not clash. Add a name here if a part ever
#: needs something a test machine cannot give every stack at once.
LEFT_OUT: tuple[str, ...] = ()


def left_out() -> frozenset[str]:
    """The parts of LEFT_OUT that the registry has."""
    from sluicegate.stack import stack_parts

    return frozenset(p.name for p in stack_parts()) & frozenset(LEFT_OUT)


def without_args() -> list[str]:
    """`--without NAME` for each part of `left_out()`."""
    return [arg for name in sorted(left_out()) for arg in ("--without", name)]


@dataclass
class Running:
    home: Path
    url: str
    token: str
    pid: int


def start_detached(home: Path, mlflow: str, port: int | str = 0) -> Running:
    """`sluice up --detach` on `home` with an existing MLflow; fails the test with the log when it cannot."""
    up = run_sluice(home, "up", "--detach", "--port", str(port), "--mlflow-tracking-uri", mlflow, *without_args())
    assert up.returncode == 0, up.stderr + up.stdout + (home / "stack.log").read_text(errors="replace")[-3000:]
    endpoints = json.loads((home / "endpoints.json").read_text())
    return Running(home, endpoints["api"], (home / "token").read_text().strip(), endpoints["pid"])


def poll(fn: Callable[[], Any], timeout: float = 60, every: float = 0.1) -> Any:
    """Call `fn` until it returns something truthy (returned) or `timeout` passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(scope="module")
def detached_stack(tmp_path_factory: pytest.TempPathFactory, mlflow_server: str) -> Iterator[Running]:
    """One `sluice up --detach` for a whole test module (stopped with `sluice down`)."""
    home = tmp_path_factory.mktemp("stack") / "home"
    stack = start_detached(home, mlflow_server)
    try:
        yield stack
    finally:
        run_sluice(home, "down")
