"""`@latest` names the namespace's newest Workflow, as Argo Server resolves it (`argo get|logs|resume @latest`)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.cli.conftest import sluice

TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: say, namespace: sluicegate}
spec:
  entrypoint: main
  arguments: {parameters: [{name: word, value: one}]}
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c], args: ["echo said-{{workflow.parameters.word}}"]}
"""


def test_latest_names_the_newest_workflow_for_get_logs_and_actions(local_stack, tmp_path: Path) -> None:
    home = local_stack.home
    (tmp_path / "say.yaml").write_text(TEMPLATE)
    assert sluice("apply", str(tmp_path / "say.yaml"), home=home).returncode == 0
    first = sluice("submit", "say", home=home).stdout.strip()
    time.sleep(1.1)  # creationTimestamp has a resolution of one second, as on Kubernetes
    second = sluice("submit", "say", "-p", "word=two", home=home).stdout.strip()
    got = sluice("get", "@latest", home=home)
    assert got.returncode == 0 and got.stdout.splitlines()[0].split() == ["Name:", second], got.stdout + got.stderr
    followed = sluice("logs", "@latest", "-f", home=home)
    assert followed.returncode == 0 and "said-two" in followed.stdout and "said-one" not in followed.stdout
    assert sluice("resume", "@latest", home=home).returncode == 0
    assert first != second


def test_latest_without_workflows_is_a_404_in_one_line(local_stack) -> None:
    out = sluice("get", "@latest", "-n", "empty-namespace", home=local_stack.home)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "no workflows found" in out.stderr
