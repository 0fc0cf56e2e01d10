"""`sluice logs` per step and following, and durations and outputs in `sluice get`/`list`, by subprocess."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import httpx
import pytest
import yaml

from tests.cli.conftest import sluice

WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: chatty-, namespace: sluicegate}
spec:
  entrypoint: main
  suspend: true
  templates:
  - name: main
    dag:
      tasks:
      - {name: talk, template: talk}
      - {name: judge, template: judge}
  - name: talk
    container:
      image: busybox
      command: [sh, -c]
      args: ["echo one; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo two; sleep 1; echo three"]
  - name: judge
    container: {image: busybox, command: [sh, -c], args: ["echo judging; echo accept > /tmp/decision"]}
    outputs:
      parameters:
      - {name: decision, valueFrom: {path: /tmp/decision}}
"""


def _until_finished(stack, name: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wf = stack.store.get("Workflow", "sluicegate", name)
        if (wf.get("status") or {}).get("phase") in ("Succeeded", "Failed", "Error"):
            return wf
        time.sleep(0.3)
    raise AssertionError(f"{name} did not finish")


@pytest.fixture(scope="module")
def chatty(local_stack) -> str:
    """A created `chatty` workflow, suspended before its first step (the follow test resumes it)."""
    headers = {"Authorization": f"Bearer {local_stack.token}"}
    body = {"workflow": yaml.safe_load(WORKFLOW)}
    r = httpx.post(f"{local_stack.url}/api/v1/workflows/sluicegate", json=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["metadata"]["name"])


def test_logs_follow_waits_for_the_step_and_prints_lines_as_they_come(local_stack, chatty: str) -> None:
    env = {**os.environ, "SLUICE_HOME": str(local_stack.home), "COLUMNS": "200"}
    follow = subprocess.Popen(
        [sys.executable, "-m", "sluicegate", "logs", chatty, "-f", "--node", "talk"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(1)  # the follower starts while the workflow is suspended, before the step exists
    headers = {"Authorization": f"Bearer {local_stack.token}"}
    resumed = httpx.put(f"{local_stack.url}/api/v1/workflows/sluicegate/{chatty}/resume", json={}, headers=headers)
    assert resumed.status_code == 200, resumed.text
    assert follow.stdout is not None
    # the step waits for its signal, so a follower that held lines back until the end would never print "one"
    assert select.select([follow.stdout], [], [], 120)[0], "sluice logs -f printed nothing while the step ran"
    first = follow.stdout.readline()
    assert first.rstrip().endswith(": one") and first.startswith(f"{chatty}-talk-"), first
    # "one" arrived while the step waits: only now may it write "two" (a file in its private /tmp)
    for step_tmp in (local_stack.home / "run" / "sluicegate" / chatty).glob("*/tmp"):
        (step_tmp / "go").touch()
    rest = follow.stdout.read()  # until the stream ends: the workflow finished
    assert follow.wait(60) == 0, follow.stderr.read() if follow.stderr else ""
    assert [line.split(": ", 1)[1] for line in rest.splitlines()] == ["two", "three"]
    assert "judging" not in first + rest  # only the step asked for
    grep = sluice("logs", chatty, "--grep", "^t", home=local_stack.home)
    lines = sorted(line.split(": ", 1)[1] for line in grep.stdout.splitlines())
    assert lines == ["three", "two"], grep.stderr
    tail = sluice("logs", chatty, "--node", "talk", "--tail", "1", home=local_stack.home)
    assert [line.split(": ", 1)[1] for line in tail.stdout.splitlines()] == ["three"], tail.stderr


def test_get_and_list_show_durations_and_outputs(local_stack, chatty: str) -> None:
    home = local_stack.home
    _until_finished(local_stack, chatty)
    got = sluice("get", chatty, home=home)
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("STEP"))
    assert header.split() == ["STEP", "TEMPLATE", "TYPE", "PHASE", "DURATION", "OUTPUTS", "MESSAGE"]
    talk = next(line.split() for line in lines if line.lstrip().startswith("talk "))
    assert talk[4].endswith("s") and int(talk[4].rstrip("s")) >= 1  # it slept 1 s after its signal
    judge = next(line for line in lines if line.lstrip().startswith("judge "))
    assert "decision=accept" in judge
    assert any(line.startswith("Duration:") for line in lines)
    listed = sluice("list", home=home).stdout.splitlines()
    assert listed[0].split()[:5] == ["NAME", "STATUS", "PROGRESS", "CREATED", "DURATION"]
    row = next(line.split() for line in listed if line.split() and line.split()[0] == chatty)
    assert row[1] == "Succeeded" and row[-1].endswith("s")


def test_logs_of_an_unknown_step_name_the_steps_there_are(local_stack, chatty: str) -> None:
    _until_finished(local_stack, chatty)
    out = sluice("logs", chatty, "--node", "nope", home=local_stack.home)
    assert out.returncode == 1
    assert out.stderr.strip().endswith(f"workflow {chatty} has no step 'nope'; use one of: judge, talk"), out.stderr
