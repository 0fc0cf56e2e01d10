"""`sluice apply` puts a document without a namespace where every other `sluice` command looks (`-n`)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import sluice
from tests.conftest import LocalApi


def _template(name: str, namespace: str | None = None) -> str:
    meta = f"{{name: {name}, namespace: {namespace}}}" if namespace else f"{{name: {name}}}"
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {meta}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {{image: "alpine:3.20", command: [echo, hi]}}
"""


def test_a_template_applied_without_a_namespace_is_found_by_submit_without_one(
    local_api: LocalApi, tmp_path: Path
) -> None:
    (tmp_path / "t.yaml").write_text(_template("no-namespace"))
    applied = sluice("apply", str(tmp_path / "t.yaml"), home=local_api.home)
    assert applied.returncode == 0, applied.stderr
    submitted = sluice("submit", "no-namespace", home=local_api.home)
    assert submitted.returncode == 0, submitted.stderr
    assert local_api.store.list("Workflow", "sluicegate"), "the submitted Workflow is in the default namespace"


def test_apply_n_places_unnamespaced_documents_and_refuses_one_naming_another(
    local_api: LocalApi, tmp_path: Path
) -> None:
    (tmp_path / "t.yaml").write_text(_template("into-team") + "---\n" + _template("elsewhere", "sluicegate"))
    out = sluice("apply", "-n", "team-a", str(tmp_path / "t.yaml"), home=local_api.home)
    assert out.returncode == 1
    assert "does not match --namespace 'team-a'" in out.stderr and "pass --namespace sluicegate" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    # every document is checked before any is applied: the first one did not land either
    assert local_api.store.try_get("WorkflowTemplate", "team-a", "into-team") is None
    (tmp_path / "t.yaml").write_text(_template("into-team"))
    assert sluice("apply", "-n", "team-a", str(tmp_path / "t.yaml"), home=local_api.home).returncode == 0
    assert local_api.store.try_get("WorkflowTemplate", "team-a", "into-team") is not None
