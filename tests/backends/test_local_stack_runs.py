"""The workflow commands against the parts of `sluice up` that run workflows: API + workflow controller."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sluicegate.backends import LocalBackend
from sluicegate.config import Settings

REPO = Path(__file__).resolve().parents[2]


def _template(name: str, script: str) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": name, "namespace": "sluicegate"},
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "message", "value": "default"}]},
            "templates": [
                {
                    "name": "main",
                    "inputs": {"parameters": [{"name": "message"}]},
                    "container": {"image": "busybox", "command": ["sh", "-c"], "args": [script]},
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def templates(local_stack):
    backend = LocalBackend.from_settings(Settings(home=local_stack.home))
    applied = backend.apply(
        [
            _template("say", "echo said-{{inputs.parameters.message}}"),
            _template("fail", "echo about-to-fail; exit 3"),
        ]
    )
    assert [a.action for a in applied] == ["created", "created"]
    return backend


def _sluice(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "sluicegate", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_watch_follows_a_workflow_to_success(templates):
    wf = templates.submit("say", {"message": "hello"})
    phases = [w.status.phase for w in templates.watch(wf.metadata.name, timeout=50) if w.status]
    assert phases[-1] == "Succeeded"
    lines = [line.content for line in templates.logs(wf.metadata.name)]
    assert "said-hello" in lines


def test_cli_submit_wait_and_logs(local_stack, templates):
    result = _sluice(local_stack.home, "submit", "say", "-p", "message=from-cli", "--wait")
    assert result.returncode == 0, result.stderr
    name = result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[-1].startswith(f"{name}  Succeeded")
    logs = _sluice(local_stack.home, "logs", name)
    assert logs.returncode == 0, logs.stderr
    assert "said-from-cli" in logs.stdout
    shown = _sluice(local_stack.home, "get", name)
    assert "Status:    Succeeded" in shown.stdout


def test_cli_submit_wait_on_a_failing_workflow_exits_1_ending_with_one_error_line(local_stack, templates):
    result = _sluice(local_stack.home, "submit", "fail", "--wait")
    assert result.returncode == 1
    name = result.stdout.splitlines()[0]
    *report, line = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {name} ended Failed")
    assert report and " Failed: " in report[0]  # the failed step and its message come first
