"""`sluice lint` accepts our manifests and rejects broken copies with the field path."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sluicegate.lint import LintError, lint_documents, lint_paths
from tests.conftest import rendered_manifests

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"

Docs = dict[str, dict[str, Any]]


def _ours() -> Docs:
    docs = {}
    for _, doc in rendered_manifests():
        docs[doc["metadata"]["name"] if doc["kind"] != "CronWorkflow" else "cron"] = doc
    return {k: v for k, v in docs.items() if v["kind"] in ("WorkflowTemplate", "CronWorkflow")}


def _lint(mutate: Callable[[Docs], None]) -> list[LintError]:
    docs = copy.deepcopy(_ours())
    mutate(docs)
    return lint_documents([(f"{name}.yaml", doc) for name, doc in docs.items()])


def _task(docs: Docs, wt: str, task: str) -> dict[str, Any]:
    return next(t for t in docs[wt]["spec"]["templates"][0]["dag"]["tasks"] if t["name"] == task)


def _task_index(wt: str, task: str) -> int:
    """Where `task` stands in the rendered DAG of `wt`, so a message's field path is checked wherever it moves."""
    return [t["name"] for t in _ours()[wt]["spec"]["templates"][0]["dag"]["tasks"]].index(task)


def _one(errors: list[LintError]) -> str:
    assert len(errors) == 1, [str(e) for e in errors]
    return str(errors[0])


def test_lint_our_manifests_are_clean() -> None:
    count, errors = lint_paths([MANIFESTS])
    assert count >= 7
    assert errors == []


def test_lint_missing_template_ref_target_names_the_task() -> None:
    def mutate(docs: Docs) -> None:
        _task(docs, "model-pipeline", "train")["templateRef"]["template"] = "trian"

    line = _one(_lint(mutate))
    assert line.startswith("model-pipeline.yaml: WorkflowTemplate/model-pipeline: spec.templates[0].dag.tasks[0]: ")
    assert "WorkflowTemplate 'train' has no template 'trian'; use one of: train" in line


def test_lint_missing_local_template_names_the_task() -> None:
    def mutate(docs: Docs) -> None:
        _task(docs, "evaluate-and-deploy", "deploy")["template"] = "deploi"

    line = _one(_lint(mutate))
    at = _task_index("evaluate-and-deploy", "deploy")
    assert f"spec.templates[0].dag.tasks[{at}]: no template named 'deploi'" in line


def test_lint_template_ref_outside_the_linted_set_is_reported() -> None:
    def mutate(docs: Docs) -> None:
        del docs["train"]

    line = _one(_lint(mutate))
    assert "templateRef to WorkflowTemplate 'train', which is not in the linted set" in line


def test_lint_undeclared_input_parameter_names_the_template() -> None:
    def mutate(docs: Docs) -> None:
        deploy = docs["evaluate-and-deploy"]["spec"]["templates"][index]
        deploy["inputs"]["parameters"] = [p for p in deploy["inputs"]["parameters"] if p["name"] != "model-version"]

    names = [t["name"] for t in _ours()["evaluate-and-deploy"]["spec"]["templates"]]
    index = names.index("deploy")
    errors = [str(e) for e in _lint(mutate)]
    assert any(
        f"WorkflowTemplate/evaluate-and-deploy: spec.templates[{index}]: uses {{{{inputs.parameters.model-version}}}} "
        "but does not declare it; add {name: model-version} to inputs.parameters" in e
        for e in errors
    ), errors


def test_lint_undeclared_parameter_in_expression_tag_is_found() -> None:
    def mutate(docs: Docs) -> None:
        dag = docs["evaluate-and-deploy"]["spec"]["templates"][0]
        dag["inputs"]["parameters"] = [p for p in dag["inputs"]["parameters"] if p["name"] != "service-url"]
        # the pipelines pass service-url, which is no longer declared
        del docs["model-pipeline"], docs["project-pipeline"], docs["cron"]

    line = _one(_lint(mutate))
    assert "spec.templates[0]: uses {{inputs.parameters.service-url}}" in line


def test_lint_dependency_cycle_is_rejected() -> None:
    def mutate(docs: Docs) -> None:
        _task(docs, "evaluate-and-deploy", "evaluate")["depends"] = "deploy.Succeeded"

    errors = [str(e) for e in _lint(mutate)]
    assert any(
        "spec.templates[0].dag.tasks[0]: dependency cycle "
        "evaluate -> deploy -> apply-stable-service -> stress-test -> serve-env -> build -> evaluate" in e
        for e in errors
    ), errors


def test_lint_unknown_dependency_is_rejected() -> None:
    def mutate(docs: Docs) -> None:
        _task(docs, "evaluate-and-deploy", "deploy")["depends"] = "stres-test.Succeeded"

    errors = [str(e) for e in _lint(mutate)]
    at = _task_index("evaluate-and-deploy", "deploy")
    assert f"spec.templates[0].dag.tasks[{at}].depends: unknown task 'stres-test'" in errors[0]


def test_lint_unknown_dependency_in_list_is_rejected() -> None:
    def mutate(docs: Docs) -> None:
        task = _task(docs, "model-pipeline", "evaluate-and-deploy")
        del task["depends"]
        task["dependencies"] = ["train", "trian"]

    line = _one(_lint(mutate))
    assert "spec.templates[0].dag.tasks[1].dependencies[1]: unknown task 'trian'" in line


def test_lint_missing_required_argument_is_rejected() -> None:
    def mutate(docs: Docs) -> None:
        task = _task(docs, "model-pipeline", "train")
        task["arguments"]["parameters"] = [p for p in task["arguments"]["parameters"] if p["name"] != "dataset"]

    line = _one(_lint(mutate))
    assert "spec.templates[0].dag.tasks[0]: train/train needs input parameter 'dataset', which is not passed" in line


def test_lint_argument_the_template_does_not_declare_is_accepted_as_argo_ignores_it() -> None:
    def mutate(docs: Docs) -> None:
        _task(docs, "model-pipeline", "train")["arguments"]["parameters"].append({"name": "datset", "value": "x"})

    assert _lint(mutate) == []


def test_lint_task_output_used_without_dependency_is_rejected() -> None:
    def mutate(docs: Docs) -> None:
        del _task(docs, "model-pipeline", "evaluate-and-deploy")["depends"]

    line = _one(_lint(mutate))
    assert "dag.tasks[1]: uses the outputs of task 'train' but does not depend on it; add 'train'" in line


def test_lint_unknown_task_in_tag_is_rejected() -> None:
    def mutate(docs: Docs) -> None:
        _task(docs, "evaluate-and-deploy", "build")["when"] = "'{{tasks.evaluat.outputs.parameters.decision}}' == x"

    line = _one(_lint(mutate))
    assert "dag.tasks[1]: refers to unknown task 'evaluat'" in line


def test_lint_missing_entrypoint_and_exit_handler_are_rejected() -> None:
    def mutate(docs: Docs) -> None:
        docs["model-pipeline"]["spec"]["entrypoint"] = "main"
        docs["model-pipeline"]["spec"]["onExit"] = "record"

    errors = [str(e) for e in _lint(mutate)]
    assert any(
        "spec.entrypoint: no template named 'main'; use one of: model-pipeline, record-outcome" in e for e in errors
    )
    assert any("spec.onExit: no template named 'record'" in e for e in errors)


def test_lint_workflow_parameter_that_is_not_an_argument_is_rejected_in_the_workflow_that_runs_the_template() -> None:
    def mutate(docs: Docs) -> None:
        args = docs["model-pipeline"]["spec"]["arguments"]
        args["parameters"] = [p for p in args["parameters"] if p["name"] != "git-revision"]

    # a WorkflowTemplate may read a parameter only the Workflow running it passes (Argo checks it so)
    assert [str(e) for e in _lint(mutate) if "WorkflowTemplate/model-pipeline" in str(e)] == []
    docs = copy.deepcopy(_ours())
    mutate(docs)
    pairs = [(f"{n}.yaml", d) for n, d in docs.items()]
    wf = _submitted("model-pipeline", **{"git-repo": "file:///r", "model-name": "m"})
    errors = [str(e) for e in lint_documents([*pairs, ("wf.yaml", wf)])]
    assert any(
        "wf.yaml: Workflow/model-pipeline-: spec.arguments.parameters: WorkflowTemplate 'model-pipeline' uses "
        "{{workflow.parameters.git-revision}} in templates[1], which is not a workflow argument" in e
        for e in errors
    ), errors
    wf["spec"]["arguments"]["parameters"].append({"name": "git-revision", "value": "main"})
    assert lint_documents([*pairs, ("wf.yaml", wf)]) == []


def test_lint_cron_workflow_must_reference_an_existing_template() -> None:
    def mutate(docs: Docs) -> None:
        docs["cron"]["spec"]["workflowSpec"]["workflowTemplateRef"]["name"] = "model-pipline"

    line = _one(_lint(mutate))
    assert (
        "CronWorkflow/scheduled-retrain: spec.workflowSpec.workflowTemplateRef: no WorkflowTemplate 'model-pipline'"
        in line
    )


def test_lint_unknown_field_and_wrong_type_are_rejected() -> None:
    def mutate(docs: Docs) -> None:
        train = docs["train"]["spec"]["templates"][0]
        train["retryStratgy"] = train.pop("retryStrategy")
        docs["build"]["spec"]["templates"][0]["container"]["args"] = "--not-a-list"

    errors = [str(e) for e in _lint(mutate)]
    assert any("WorkflowTemplate/train: spec.templates[0]: unknown field 'retryStratgy'" in e for e in errors), errors
    assert any(
        "WorkflowTemplate/build: spec.templates[0].container.args: invalid value '--not-a-list'" in e for e in errors
    )


def test_lint_steps_may_only_use_earlier_steps() -> None:
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "steps-"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "steps": [
                        [
                            {
                                "name": "a",
                                "template": "echo",
                                "arguments": {"parameters": [{"name": "m", "value": "{{steps.b.outputs.result}}"}]},
                            }
                        ],
                        [
                            {
                                "name": "b",
                                "template": "echo",
                                "arguments": {"parameters": [{"name": "m", "value": "{{steps.a.outputs.result}}"}]},
                            }
                        ],
                    ],
                },
                {
                    "name": "echo",
                    "inputs": {"parameters": [{"name": "m"}]},
                    "container": {"image": "busybox", "args": ["{{inputs.parameters.m}}"]},
                },
            ],
        },
    }
    line = _one(lint_documents([("steps.yaml", doc)]))
    assert line == (
        "steps.yaml: Workflow/steps-: spec.templates[0].steps[0][0]: uses step 'b' of the same or a later group; "
        "move 'b' to an earlier group"
    )


def test_lint_template_without_a_type_is_rejected() -> None:
    doc = {"kind": "Workflow", "metadata": {"name": "w"}, "spec": {"entrypoint": "a", "templates": [{"name": "a"}]}}
    assert "template 'a' has no type" in _one(lint_documents([("w.yaml", doc)]))


def test_lint_skips_other_kinds_and_reports_non_mappings() -> None:
    errors = lint_documents([("a.yaml", {"kind": "ConfigMap", "metadata": {"name": "x"}}), ("b.yaml", ["x"])])
    assert [str(e) for e in errors] == [
        "b.yaml: a document is a list, not a mapping; give each document kind, metadata and spec"
    ]


def test_lint_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Workflow\nmetadata:\n  name: x\n spec: [\n")
    count, errors = lint_paths([tmp_path])
    assert count == 0
    assert _one(errors).startswith(f"{bad}:4: malformed YAML")


@pytest.fixture
def broken_dir(tmp_path: Path) -> Path:
    for path in MANIFESTS.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    target = tmp_path / "workflowtemplate-model-pipeline.yaml"
    target.write_text(target.read_text().replace("template: train\n", "template: trian\n"))
    return tmp_path


def _sluice(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sluicegate", *args], capture_output=True, text=True, timeout=60)


def test_sluice_lint_command_exit_codes(broken_dir: Path) -> None:
    clean = _sluice("lint", str(MANIFESTS))
    assert clean.returncode == 0 and clean.stdout.startswith("ok: ")
    broken = _sluice("lint", str(broken_dir))
    assert broken.returncode == 1
    (line,) = broken.stdout.splitlines()
    assert line.startswith(f"{broken_dir / 'workflowtemplate-model-pipeline.yaml'}: WorkflowTemplate/model-pipeline: ")
    assert "Traceback" not in broken.stderr


def test_sluice_lint_missing_path_is_one_line() -> None:
    out = _sluice("lint", "/nonexistent/manifests")
    assert out.returncode == 1
    assert out.stdout.strip() == "/nonexistent/manifests: no such file or directory; check the path"


def test_render_refuses_a_definition_that_fails_lint(tmp_path: Path) -> None:
    from sluicegate.errors import ManifestError
    from sluicegate.render import write_manifests

    docs = copy.deepcopy(_ours())
    docs["build"]["spec"]["entrypoint"] = "nowhere"
    with pytest.raises(ManifestError, match=r"spec\.entrypoint: no template named 'nowhere'"):
        write_manifests(tmp_path, list(docs.values()))
    assert not list(tmp_path.iterdir())


def _sensor_docs() -> list[tuple[str, Any]]:
    return [(f, d) for f, d in rendered_manifests() if d["kind"] in ("WorkflowTemplate", "Sensor")]


def test_lint_checks_the_workflows_sensors_submit() -> None:
    docs = copy.deepcopy(_sensor_docs())
    (sensor,) = [d for _, d in docs if d["kind"] == "Sensor" and d["metadata"]["name"] == "evaluate-on-mlflow"]
    resource = sensor["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"]["resource"]
    resource["spec"]["arguments"]["parameters"][1]["name"] = "model-versio"
    resource["spec"]["workflowTemplateRef"]["name"] = "evaluate-and-deploy"
    line = _one(lint_documents(docs))
    assert line.startswith(
        "sensor-evaluate-on-mlflow.yaml: Sensor/evaluate-on-mlflow: "
        "spec.triggers[0].template.argoWorkflow.source.resource.spec.arguments.parameters: "
        "WorkflowTemplate 'evaluate-and-deploy' needs a value for 'model-version'; "
        "add {name: model-version, value: ...} (did you mean `model-version` where you passed `model-versio`?)"
    )


def test_lint_workflow_from_template_must_supply_required_arguments() -> None:
    docs = [(f"{n}.yaml", d) for n, d in copy.deepcopy(_ours()).items()]
    wf = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "evaluate-and-deploy-"},
        "spec": {"workflowTemplateRef": {"name": "evaluate-and-deploy"}},
    }
    line = _one(lint_documents([*docs, ("wf.yaml", wf)]))
    assert line == (
        "wf.yaml: Workflow/evaluate-and-deploy-: spec.arguments.parameters: WorkflowTemplate 'evaluate-and-deploy' "
        "needs a value for 'model-version'; add {name: model-version, value: ...}"
    )


def _submitted(template: str, **params: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{template}-"},
        "spec": {
            "workflowTemplateRef": {"name": template},
            "arguments": {"parameters": [{"name": k, "value": v} for k, v in params.items()]},
        },
    }


def test_lint_accepts_workflow_arguments_the_referenced_template_does_not_declare() -> None:
    docs = [(f"{n}.yaml", d) for n, d in copy.deepcopy(_ours()).items()]
    # project-pipeline reaches train-project, whose start-run reads {{workflow.parameters.json}} (mlflow run -P)
    project = _submitted("project-pipeline", **{"git-repo": "file:///r", "C": "0.5", "num_leaves": "7"})
    assert lint_documents([*docs, ("wf.yaml", project)]) == []
    # Argo merges them with the template's arguments: nothing reads `C` here, and that is no error either
    plain = _submitted("evaluate-and-deploy", **{"model-version": "1", "C": "0.5"})
    assert lint_documents([*docs, ("wf.yaml", plain)]) == []
