"""Every rendered Argo object in `manifests/` is valid against Argo's own JSON schemas and CRDs, strictly.

The schemas (Argo Workflows, Events and Rollouts) and their checker sit in the `shared` folder beside the
repository, as CI lays it out; `--strict` also refuses fields the schema does not know (Kubernetes would
drop them from a structural CRD without a word).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT.parent / "shared" / "tools" / "validate-manifests"
CHECKED = {"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow", "EventSource", "Sensor"}
CHECKED |= {"EventBus", "Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun", "Experiment"}

pytestmark = pytest.mark.skipif(not CHECKER.exists(), reason="needs the shared schemas beside the repository")


def _argo_objects(folder: Path) -> int:
    return sum(
        1
        for path in folder.glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc.get("kind") in CHECKED
    )


def test_rendered_manifests_are_valid_against_argo_schemas_strictly() -> None:
    expected = _argo_objects(ROOT / "manifests")
    out = subprocess.run(
        [sys.executable, str(CHECKER), "--strict", str(ROOT / "manifests")], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert f"{expected}/{expected} checked documents valid" in out.stdout


def test_the_checker_refuses_a_misspelled_field(tmp_path: Path) -> None:
    template = yaml.safe_load((ROOT / "manifests" / "workflowtemplate-project-pipeline.yaml").read_text())
    template["spec"]["templates"][0]["comand"] = ["true"]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(template))
    out = subprocess.run([sys.executable, str(CHECKER), "--strict", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 1 and "comand" in out.stdout + out.stderr
