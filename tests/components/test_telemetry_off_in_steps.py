"""Steps do not run MLflow's usage telemetry (its thread races the step's own os.environ use), unless asked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(("given", "expected"), [(None, "true"), ("false", "false")])
def test_a_component_process_has_telemetry_off_unless_the_user_says_otherwise(given: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_DISABLE_TELEMETRY"}
    if given is not None:
        env["MLFLOW_DISABLE_TELEMETRY"] = given
    code = "import components.evaluate, mlflow.environment_variables as v; print(v.MLFLOW_DISABLE_TELEMETRY.get())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1000:]
    assert out.stdout.strip() == {"true": "True", "false": "False"}[expected]
