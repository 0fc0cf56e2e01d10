"""`sluice apply` and `sluice submit` stop at the door what `sluice lint` flags, one line per problem, rc != 0."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import sluice

BAD = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: bad-pipeline, namespace: sluicegate}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: step, dependencies: [b]}
      - {name: b, template: step, dependencies: [a]}
      - {name: c, template: missing}
  - name: step
    container: {image: "alpine:3.20", comand: [echo, hi]}
"""

TRAIN = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: train-like, namespace: sluicegate}
spec:
  entrypoint: main
  arguments:
    parameters:
    - {name: git-repo, value: /srv/repo}
    - {name: model-name}
  templates:
  - name: main
    container: {image: "alpine:3.20", command: [echo, hi]}
"""


def test_apply_of_an_invalid_template_prints_each_problem_and_fails(local_api, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD)
    out = sluice("apply", str(tmp_path / "bad.yaml"), home=local_api.home)
    assert out.returncode == 1, out.stdout
    assert "created" not in out.stdout
    lines = out.stderr.splitlines()
    assert any("spec.templates[1].container: unknown field 'comand'" in line for line in lines), out.stderr
    assert any("dependency cycle a -> b -> a" in line for line in lines)
    assert any("no template named 'missing'" in line for line in lines)
    assert lines[-1].startswith("error: ") and "3 problems" in lines[-1]
    assert local_api.store.try_get("WorkflowTemplate", "sluicegate", "bad-pipeline") is None


def test_submit_with_a_misspelt_required_parameter_says_did_you_mean(local_api, tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(TRAIN)
    assert sluice("apply", str(tmp_path / "train.yaml"), home=local_api.home).returncode == 0
    out = sluice("submit", "train-like", "-p", "git-repo=/srv/x", "-p", "model-nam=iris", home=local_api.home)
    assert out.returncode == 1
    assert "did you mean `model-name` where you passed `model-nam`?" in out.stderr, out.stderr
    missing = sluice("submit", "train-like", home=local_api.home)
    assert missing.returncode == 1 and "needs a value for 'model-name'" in missing.stderr, missing.stderr
