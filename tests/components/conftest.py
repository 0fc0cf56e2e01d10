"""Fixtures for the component tests: unique model names, a trained model shared by a module, a CLI runner."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "components" / "sample_project"


def unique_name(prefix: str) -> str:
    """A registered-model name no other test uses (the MLflow server is shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_component(module: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m components.<module> ARGS` as a real subprocess."""
    return subprocess.run(
        [sys.executable, "-m", f"components.{module}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture
def model_name() -> str:
    return unique_name("test-model")
