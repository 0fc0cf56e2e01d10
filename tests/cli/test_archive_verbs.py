"""`sluice archive` by habit (argo archive list/get/retry/delete), by subprocess against the local stack."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from tests.cli.conftest import sluice

FAILING = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: {name}, namespace: sluicegate, labels: {{team: archive-cli}}}}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {{image: busybox, command: [sh, -c], args: ["exit 3"]}}
"""


def test_archive_lists_gets_retries_and_deletes_a_deleted_workflow(local_stack, tmp_path: Path) -> None:
    name = f"archived-{uuid.uuid4().hex[:6]}"
    (tmp_path / "wf.yaml").write_text(FAILING.format(name=name))
    assert sluice("apply", str(tmp_path / "wf.yaml"), home=local_stack.home).returncode == 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        labels = local_stack.store.get("Workflow", "sluicegate", name)["metadata"].get("labels") or {}
        if labels.get("workflows.argoproj.io/workflow-archiving-status") == "Archived":
            break
        time.sleep(0.2)
    local_stack.store.delete("Workflow", "sluicegate", name)

    listed = sluice("archive", "list", "-l", "team=archive-cli", home=local_stack.home)
    assert listed.returncode == 0, listed.stderr
    row = next(line.split() for line in listed.stdout.splitlines() if line.startswith(name))
    assert row[1] == "Failed"
    uid = row[-1]
    got = sluice("archive", "get", uid, home=local_stack.home)
    assert f"Name:      {name}" in got.stdout and "Status:    Failed" in got.stdout

    retried = sluice("archive", "retry", uid, home=local_stack.home)
    assert retried.returncode == 0 and f"workflow {name} retried" in retried.stdout
    assert local_stack.store.get("Workflow", "sluicegate", name)["metadata"]["uid"] != uid

    gone = sluice("archive", "delete", uid, home=local_stack.home)
    assert gone.returncode == 0
    missing = sluice("archive", "get", uid, home=local_stack.home)
    assert missing.returncode != 0 and "not found" in (missing.stderr + missing.stdout)
