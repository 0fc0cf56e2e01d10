"""Each step's command line, exactly as the rendered templates write it, run against the real components.

This is the contract between `workflows/` and `components/`: every flag a template passes exists, and
every output parameter a template declares is a file the component writes. Tags are filled in the way
Argo would fill them; `/tmp/src` and `/tmp/outputs` are moved into the test's folder.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import workflows

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "components" / "sample_project"


def _step(name: str) -> dict[str, Any]:
    doc = next(d for d in workflows.manifests() if d["metadata"]["name"] == name)
    return doc["spec"]["templates"][0]


def _defaults(name: str) -> dict[str, str]:
    doc = next(d for d in workflows.manifests() if d["metadata"]["name"] == name)
    return {p["name"]: p.get("value", "") for p in doc["spec"]["arguments"]["parameters"]}


def _run(name: str, tmp: Path, values: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run template `name`'s container with `values` for its inputs; returns the process and its outputs."""
    step = _step(name)
    params = {**_defaults(name), **values, "workflow.name": "model-pipeline-test1"}
    outputs = tmp / f"outputs-{name}"

    def fill(arg: str) -> str:
        arg = re.sub(r"\{\{inputs\.parameters\.([\w-]+)\}\}", lambda m: params[m.group(1)], arg)
        arg = arg.replace("{{workflow.name}}", params["workflow.name"])
        assert "{{" not in arg, arg
        return (
            arg.replace("/tmp/outputs", str(outputs))
            .replace("/tmp/src", str(tmp / "src"))
            .replace("/tmp/bundle", str(tmp / "bundle"))
        )

    command = [fill(a) for a in step["container"]["command"] + step["container"]["args"]]
    assert command[:3] == ["python", "-m", f"components.{name.replace('-', '_')}"]
    proc = subprocess.run([sys.executable, *command[1:]], capture_output=True, text=True, timeout=120, cwd=ROOT)
    declared = [p["name"] for p in step["outputs"]["parameters"]]
    written = {p: (outputs / p).read_text() for p in declared if (outputs / p).exists()}
    return proc, written


def test_step_commands_run_the_components_end_to_end(
    tmp_path: Path, mlflow_server: str, http_sink: tuple[str, list[bytes]]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "params.yaml").write_text((SAMPLE / "params.yaml").read_text())
    model = f"contract-{tmp_path.name[-8:].lower().replace('_', '-')}"
    common = {"model-name": model, "mlflow-tracking-uri": mlflow_server}

    proc, out = _run("train", tmp_path, {**common, "git-repo": "file:///repo", "git-revision": "abc123", "C": "0.5"})
    assert proc.returncode == 0, proc.stderr
    assert set(out) == {"run-id", "model-uri", "model-version", "metrics"}
    assert out["model-uri"] == f"models:/{model}/{out['model-version']}"
    assert json.loads(out["metrics"])

    proc, out2 = _run("evaluate", tmp_path, {**common, "model-version": out["model-version"]})
    assert proc.returncode == 0, proc.stderr
    assert out2["decision"] == "promote"  # no champion yet
    assert set(out2) == {"decision", "candidate-score", "champion-score"}

    proc, out3 = _run("build", tmp_path, {**common, "model-version": out["model-version"], "build-target": "local"})
    assert proc.returncode == 0, proc.stderr
    assert out3["bundle-digest"] and any((tmp_path / "bundle").iterdir())

    values = {
        "service-url": http_sink[0],
        "target-rps": "20",
        "duration-seconds": "1",
        # this checks that the step's command runs; the latency gate itself is tested in tests/components,
        # and a busy host's p99 is no property of the code
        "p99-latency-ms": "5000",
        "mlflow-tracking-uri": mlflow_server,
    }
    proc, out4 = _run("stress-test", tmp_path, values)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out4["report"])


def test_train_hyperparameter_override_reaches_the_component(tmp_path: Path, mlflow_server: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "params.yaml").write_text((SAMPLE / "params.yaml").read_text())
    values = {"model-name": "contract-bad-c", "mlflow-tracking-uri": mlflow_server, "C": "-1"}
    proc, out = _run("train", tmp_path, values)
    assert proc.returncode != 0 and out == {}
    assert "C" in proc.stderr and "Traceback" not in proc.stderr
