"""A restart or `sluice down` after a crash: every process the stack started is known; live models are kept."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sluicegate.config import Settings
from sluicegate.services import ManagedProcess
from sluicegate.stack import Stack, stack_parts
from sluicegate.stack._state import PidFile

ROLLOUT = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: breast-cancer, namespace: sluicegate}
spec:
  selector: {matchLabels: {app: breast-cancer}}
  strategy: {canary: {steps: [{setWeight: 50}]}}
  template:
    metadata:
      annotations: {sluicegate.io/model-uri: "models:/breast-cancer@champion"}
      labels: {app: breast-cancer}
    spec:
      containers: [{name: model, image: ghcr.io/sluicegate/components:0.1.0, command: [python, -m, components.serve]}]
"""


def _minimal(home: Path, mlflow: str, manifests: Path | None = None) -> Stack:
    optional = frozenset(p.name for p in stack_parts()) - {"mlflow", "api"}
    return Stack(Settings(home=home, api_port=0, mlflow_tracking_uri=mlflow), manifests=manifests, without=optional)


def test_a_process_started_after_up_is_recorded_and_stopped_after_a_crash(tmp_path: Path, mlflow_server: str) -> None:
    home = tmp_path / "home"
    late = None
    try:
        with _minimal(home, mlflow_server):
            # e.g. a model server the Rollout controller starts when a new version is deployed
            late = ManagedProcess([sys.executable, "-c", "import time; time.sleep(120)"], home / "logs" / "late.log")
            recorded = [pid for pid, _ in json.loads((home / "stack.pid").read_text())["groups"]]
            assert late.pid in recorded
            assert late.pid in PidFile(home / "stack.pid").clean_leftovers()  # what a restart after kill -9 does
            late.proc.wait(10)
    finally:
        if late is not None and late.alive():
            late.proc.kill()
            late.proc.wait()


def test_reapplying_manifests_at_start_keeps_the_model_a_live_rollout_serves(
    tmp_path: Path, mlflow_server: str
) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "rollout.yaml").write_text(ROLLOUT)
    home = tmp_path / "home"
    key = "sluicegate.io/model-uri"
    with _minimal(home, mlflow_server, manifests) as stack:
        rollout = stack.store.get("Rollout", "sluicegate", "breast-cancer")
        assert rollout["spec"]["template"]["metadata"]["annotations"][key] == "models:/breast-cancer@champion"
        # the pipeline's deploy step patches the model it promoted
        rollout["spec"]["template"]["metadata"]["annotations"][key] = "models:/breast-cancer/7"
        stack.store.update(rollout)
    with _minimal(home, mlflow_server, manifests) as stack:
        rollout = stack.store.get("Rollout", "sluicegate", "breast-cancer")
        assert rollout["spec"]["template"]["metadata"]["annotations"][key] == "models:/breast-cancer/7"
        assert ("Rollout/breast-cancer", "unchanged") in stack.applied
