"""A WorkflowTemplate's `spec.suspend` and Workflows that reference it, as Argo: only the Workflow's own counts.

Argo's spec merge keeps the Workflow's `spec.suspend` (the template's is dropped), so a Workflow submitted by
`workflowTemplateRef` is never held by the template's value, and `resume` always releases one suspended by
its own. Driven through the API (a Workflow created with `spec.suspend: true`) and `sluice resume`.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.cli.conftest import sluice

NS = "sluicegate"
GATED = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: gated, namespace: sluicegate}
spec:
  entrypoint: main
  suspend: true
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c], args: ["echo released"]}
"""


def _workflow(api: str, token: str, name: str) -> dict:
    resp = httpx.get(f"{api}/api/v1/workflows/{NS}/{name}", headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    return dict(resp.json())


def _finished(api: str, token: str, name: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        phase = str(_workflow(api, token, name).get("status", {}).get("phase", ""))
        if phase in ("Succeeded", "Failed", "Error"):
            return phase
        time.sleep(0.3)
    raise AssertionError(f"{name} did not finish: {_workflow(api, token, name).get('status')}")


def test_template_suspend_does_not_hold_a_referencing_workflow(local_stack, tmp_path: Path) -> None:
    (tmp_path / "gated.yaml").write_text(GATED)
    assert sluice("apply", str(tmp_path / "gated.yaml"), home=local_stack.home).returncode == 0
    name = sluice("submit", "gated", home=local_stack.home).stdout.strip()
    assert name.startswith("gated-")
    assert _finished(local_stack.url, local_stack.token, name) == "Succeeded"


def test_resume_releases_a_referencing_workflow_suspended_by_its_own_spec(local_stack, tmp_path: Path) -> None:
    api, token = local_stack.url, local_stack.token
    (tmp_path / "gated.yaml").write_text(GATED)
    assert sluice("apply", str(tmp_path / "gated.yaml"), home=local_stack.home).returncode == 0
    body = {
        "workflow": {
            "metadata": {"generateName": "gated-", "namespace": NS},
            "spec": {"workflowTemplateRef": {"name": "gated"}, "suspend": True},
        }
    }
    created = httpx.post(f"{api}/api/v1/workflows/{NS}", json=body, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 200, created.text
    name = created.json()["metadata"]["name"]
    time.sleep(1.5)  # a suspended Workflow starts no step however long it is left
    held = _workflow(api, token, name)
    assert held.get("status", {}).get("phase") in (None, "", "Pending", "Running")
    assert not [n for n in (held.get("status", {}).get("nodes") or {}).values() if n.get("type") == "Pod"]
    resumed = sluice("resume", name, home=local_stack.home)
    assert resumed.stdout.strip() == f"workflow {name} resumed", resumed.stderr
    assert "suspend" not in _workflow(api, token, name)["spec"]
    assert _finished(api, token, name) == "Succeeded"
