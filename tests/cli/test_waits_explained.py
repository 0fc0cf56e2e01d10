"""`sluice get` and `sluice submit --wait` say what a running workflow waits on, and why a failed one failed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluicegate.rollouts import RolloutsPart, rollout_routes
from sluicegate.store import Store
from tests.cli.conftest import sluice
from tests.conftest import LocalApi, local_stack_parts

NS = "sluicegate"

DEPLOY = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: deploy-only, namespace: sluicegate}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: model-name, value: breast-cancer}]
  templates:
  - name: main
    dag:
      tasks:
      - name: deploy
        template: deploy
        arguments: {parameters: [{name: model-name, value: "{{workflow.parameters.model-name}}"}]}
  - name: deploy
    inputs: {parameters: [{name: model-name}]}
    resource:
      action: patch
      mergeStrategy: merge
      manifest: |
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: "{{inputs.parameters.model-name}}"}
        spec: {template: {metadata: {annotations: {sluicegate.io/model-uri: "models:/breast-cancer/2"}}}}
      successCondition: status.phase == Healthy
"""

FAILING = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: fails-loudly, namespace: sluicegate}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: train, template: train}
  - name: train
    container:
      image: busybox
      command: [sh, -c]
      args: ["for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line-$i; done; echo 'accuracy 0.41 < 0.8'; exit 2"]
"""

RUN = "breast-cancer-5d8f-2-2"


class _RoutesOnly(RolloutsPart):
    """The rollout API without its controller: the test stores the status the controller would write."""

    def routes(self) -> list:
        return rollout_routes(lambda: {})


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    yield from local_stack_parts(tmp_path_factory.mktemp("waits"), with_controller=True, routes_of=[_RoutesOnly()])


def _paused_rollout(store: Store) -> None:
    """breast-cancer paused on an inconclusive analysis whose every measurement was NaN (no traffic)."""
    store.apply(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisRun",
            "metadata": {"name": RUN, "namespace": NS},
            "spec": {"metrics": []},
        }
    )
    store.apply(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "breast-cancer", "namespace": NS},
            "spec": {"strategy": {"canary": {"steps": [{"setWeight": 10}, {"analysis": {}}]}}, "template": {}},
        }
    )
    measured = [{"phase": "Inconclusive", "value": "[NaN]"}]

    def run_status(d: dict[str, Any]) -> dict[str, Any]:
        d["status"] = {"phase": "Inconclusive", "metricResults": [{"name": "error-rate", "measurements": measured}]}
        return d

    def paused(d: dict[str, Any]) -> dict[str, Any]:
        d["status"] = {
            "phase": "Paused",
            "currentStepIndex": 1,
            "weight": 10,
            "pauseConditions": [{"reason": "InconclusiveAnalysisRun"}],
            "canary": {"currentStepAnalysisRunStatus": {"name": RUN, "status": "Inconclusive"}},
        }
        return d

    store.mutate("AnalysisRun", NS, RUN, run_status)
    store.mutate("Rollout", NS, "breast-cancer", paused)


def _healthy(store: Store) -> None:
    def done(d: dict[str, Any]) -> dict[str, Any]:
        d["status"] = {"phase": "Healthy", "observedGeneration": str(d["metadata"].get("generation", 1))}
        return d

    store.mutate("Rollout", NS, "breast-cancer", done)


WAITING = (
    "waiting on Rollout breast-cancer: analysis inconclusive, no traffic to canary; "
    "send traffic or sluice rollout promote breast-cancer"
)


def test_wait_and_get_say_the_rollout_waits_for_traffic_then_finish(stack: LocalApi, tmp_path: Path) -> None:
    _paused_rollout(stack.store)
    (tmp_path / "deploy.yaml").write_text(DEPLOY)
    assert sluice("apply", str(tmp_path / "deploy.yaml"), home=stack.home).returncode == 0
    env = {**os.environ, "SLUICE_HOME": str(stack.home), "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sluicegate", "submit", "deploy-only", "--wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        name = proc.stdout.readline().strip()
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            seen.append(line)
            if "waiting on Rollout" in line:
                break
        assert seen[-1].strip() == WAITING, seen
        got = sluice("get", name, home=stack.home)
        assert f"Waiting:   {WAITING}" in got.stdout, got.stdout + got.stderr
        # the patch bumped the Rollout's generation; promoting makes it Healthy at that generation
        _healthy(stack.store)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out + err
    assert f"{name}  Succeeded" in out


def test_failed_wait_prints_the_steps_message_and_last_log_lines(stack: LocalApi, tmp_path: Path) -> None:
    (tmp_path / "fails.yaml").write_text(FAILING)
    assert sluice("apply", str(tmp_path / "fails.yaml"), home=stack.home).returncode == 0
    out = sluice("submit", "fails-loudly", "--wait", home=stack.home, timeout=180)
    assert out.returncode == 1
    err = out.stderr.splitlines()
    assert any(line.startswith("step train Failed: ") and "exit code 2" in line for line in err), out.stderr
    assert "  | accuracy 0.41 < 0.8" in err and "  | line-12" in err
    assert "  | line-1" not in err  # only the last lines
    assert err[-1].startswith("error: fails-loudly-") and "ended Failed" in err[-1]
