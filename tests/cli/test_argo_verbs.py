"""argo's verbs by habit: suspend/resume/stop/terminate/retry/resubmit/delete and template list/get, by subprocess."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.cli.conftest import sluice
from tests.conftest import LocalApi

pytestmark = pytest.mark.slow

TEMPLATES = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: slow, namespace: sluicegate}
spec:
  entrypoint: main
  arguments:
    parameters:
    - {name: seconds, value: "300", description: how long the step sleeps}
    - {name: mode, enum: [fast, slow], description: which way}
  templates:
  - name: main
    steps:
    - - {name: nap, template: nap}
  - name: nap
    container: {image: busybox, command: [sh, -c], args: ["sleep {{workflow.parameters.seconds}}"]}
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: flaky, namespace: sluicegate}
spec:
  entrypoint: main
  arguments:
    parameters:
    - {name: code, value: "3"}
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c], args: ["exit {{workflow.parameters.code}}"]}
"""


def _phase(stack: LocalApi, name: str) -> str:
    return str((stack.store.get("Workflow", "sluicegate", name).get("status") or {}).get("phase") or "")


def _until(stack: LocalApi, name: str, phases: set[str], timeout: float = 120) -> str:
    """The workflow's phase once it is one of `phases`, read from the stack's store (the verbs are under test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        phase = _phase(stack, name)
        if phase in phases:
            return phase
        time.sleep(0.2)
    raise AssertionError(f"{name} still {_phase(stack, name)}")


def test_template_list_and_get_show_parameters_defaults_and_descriptions(local_stack, tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATES)
    assert sluice("apply", str(tmp_path / "t.yaml"), home=local_stack.home).returncode == 0
    listed = sluice("template", "list", home=local_stack.home)
    assert listed.returncode == 0
    assert any(line.split()[0] == "slow" and "seconds, mode" in line for line in listed.stdout.splitlines())
    got = sluice("template", "get", "slow", home=local_stack.home)
    assert "  seconds = 300  # how long the step sleeps" in got.stdout
    assert "  mode (required)  one of fast, slow  # which way" in got.stdout


def test_suspend_resume_stop_resubmit_delete(local_stack: LocalApi, tmp_path: Path) -> None:
    home = local_stack.home
    (tmp_path / "t.yaml").write_text(TEMPLATES)
    sluice("apply", str(tmp_path / "t.yaml"), home=home)
    name = sluice("submit", "slow", "-p", "mode=fast", home=home).stdout.strip()
    assert sluice("suspend", name, home=home).stdout.strip() == f"workflow {name} suspended"
    assert sluice("resume", name, home=home).stdout.strip() == f"workflow {name} resumed"
    stopped = sluice("stop", name, "--message", "enough", home=home)
    assert stopped.stdout.strip() == f"workflow {name} stopped", stopped.stderr
    assert _until(local_stack, name, {"Failed", "Succeeded", "Error"}) == "Failed"
    again = sluice("resubmit", name, home=home).stdout.strip()
    assert again.startswith("slow-") and again != name
    assert sluice("terminate", again, home=home).stdout.strip() == f"workflow {again} terminated"
    assert _until(local_stack, again, {"Failed", "Succeeded", "Error"}) == "Failed"
    assert sluice("delete", name, home=home).stdout.strip() == f'Workflow "{name}" deleted'
    gone = sluice("get", name, home=home)
    assert gone.returncode == 1 and "not found" in gone.stderr


def test_retry_reruns_a_failed_workflow(local_stack: LocalApi, tmp_path: Path) -> None:
    home = local_stack.home
    (tmp_path / "t.yaml").write_text(TEMPLATES)
    sluice("apply", str(tmp_path / "t.yaml"), home=home)
    name = sluice("submit", "flaky", home=home).stdout.strip()
    assert _until(local_stack, name, {"Failed", "Succeeded", "Error"}) == "Failed"
    out = sluice("retry", name, home=home)
    assert out.returncode == 0 and out.stdout.startswith(f"workflow {name} retried"), out.stderr
    assert _until(local_stack, name, {"Failed", "Succeeded", "Error"}) == "Failed"
    # argo retry -p: the failed step runs again with the argument overridden
    out = sluice("retry", name, "-p", "code=0", home=home)
    assert out.returncode == 0, out.stderr
    assert _until(local_stack, name, {"Failed", "Succeeded", "Error"}) == "Succeeded"
    missing = sluice("stop", "no-such-workflow", home=home)
    assert missing.returncode == 1 and missing.stderr.startswith("error: ") and missing.stderr.count("\n") == 1
