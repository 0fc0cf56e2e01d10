"""`sluice lint` accepts the shapes Argo's own validation accepts, and still refuses the ones it refuses."""

from __future__ import annotations

import copy
from typing import Any

from sluicegate.lint import lint_documents

Doc = dict[str, Any]


def _echo(name: str, *inputs: str) -> Doc:
    return {
        "name": name,
        "inputs": {"parameters": [{"name": i} for i in inputs]},
        "container": {
            "image": "busybox",
            "command": ["echo"],
            "args": [f"{{{{inputs.parameters.{i}}}}}" for i in inputs],
        },
    }


def _doc(kind: str, name: str, entrypoint: str, *templates: Doc, **spec: Any) -> Doc:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {"entrypoint": entrypoint, "templates": list(templates), **spec},
    }


def _run_of(template: str, **params: str) -> Doc:
    """The Workflow a submit of WorkflowTemplate `template` with `-p name=value` creates."""
    spec: Doc = {"workflowTemplateRef": {"name": template}}
    if params:
        spec["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in params.items()]}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "run-"},
        "spec": spec,
    }


def _errors(*docs: Doc) -> list[str]:
    return [str(e) for e in lint_documents([(f"{i}.yaml", d) for i, d in enumerate(docs)])]


#: A template whose entrypoint needs `message`, which is not among its arguments (given at submit).
PRINT = _doc("WorkflowTemplate", "print", "print-message", _echo("print-message", "message"))

#: A template reading a workflow parameter it does not declare (the Workflow submitted from it passes it).
CONSUMER = _doc(
    "WorkflowTemplate",
    "consumer",
    "main",
    {
        "name": "main",
        "steps": [
            [
                {
                    "name": "a",
                    "template": "say",
                    "arguments": {
                        "parameters": [
                            {"name": "salutation", "value": "{{workflow.parameters.salutation}}"},
                            {"name": "appellation", "value": "{{workflow.parameters.appellation}}"},
                        ]
                    },
                }
            ]
        ],
    },
    _echo("say", "salutation", "appellation"),
    arguments={"parameters": [{"name": "salutation", "value": "hello"}]},
)


def test_template_whose_entrypoint_needs_an_input_that_is_no_argument_is_accepted() -> None:
    assert _errors(PRINT) == []
    cluster = {**copy.deepcopy(PRINT), "kind": "ClusterWorkflowTemplate"}
    assert _errors(cluster) == []


def test_workflow_from_that_template_must_pass_the_entrypoint_input() -> None:
    (line,) = _errors(PRINT, _run_of("print"))
    assert line == (
        "1.yaml: Workflow/run-: spec.arguments.parameters: entrypoint 'print-message' of WorkflowTemplate 'print' "
        "needs input 'message', which is not a workflow argument; add {name: message, value: ...}"
    )
    assert _errors(PRINT, _run_of("print", message="hi")) == []
    assert "did you mean `message` where you passed `mesage`?" in _errors(PRINT, _run_of("print", mesage="hi"))[0]


def test_a_plain_workflow_must_still_pass_its_entrypoint_input() -> None:
    wf = {**copy.deepcopy(PRINT), "kind": "Workflow"}
    (line,) = _errors(wf)
    assert "entrypoint 'print-message' needs input 'message', which is not a workflow argument" in line


def test_template_reading_a_workflow_parameter_it_does_not_declare_is_accepted() -> None:
    assert _errors(CONSUMER) == []


def test_workflow_from_that_template_must_pass_the_workflow_parameter() -> None:
    (line,) = _errors(CONSUMER, _run_of("consumer"))
    assert line == (
        "1.yaml: Workflow/run-: spec.arguments.parameters: WorkflowTemplate 'consumer' uses "
        "{{workflow.parameters.appellation}} in templates[0], which is not a workflow argument; "
        "add {name: appellation, value: ...}"
    )
    # the argument is not declared by the template: Argo merges it with the template's, so is it here
    assert _errors(CONSUMER, _run_of("consumer", appellation="Mr")) == []


def test_workflow_reading_a_workflow_parameter_it_does_not_declare_is_still_refused() -> None:
    for kind in ("Workflow", "CronWorkflow"):
        wf = {**copy.deepcopy(CONSUMER), "kind": "Workflow"}
        if kind == "CronWorkflow":
            wf = {**wf, "kind": kind, "spec": {"schedules": ["* * * * *"], "workflowSpec": wf["spec"]}}
        (line,) = _errors(wf)
        assert "uses {{workflow.parameters.appellation}}, which is not a workflow argument" in line, kind


def test_workflow_arguments_the_referenced_template_does_not_declare_are_accepted() -> None:
    assert _errors(PRINT, _run_of("print", message="hi", colour="blue")) == []


def test_workflow_argument_without_a_value_is_refused_with_a_template_ref_too() -> None:
    run = _run_of("print", message="hi")
    run["spec"]["arguments"]["parameters"].append({"name": "colour"})
    (line,) = _errors(PRINT, run)
    assert "spec.arguments.parameters[1]: argument 'colour' has no value" in line


def _steps_workflow(outer: list[list[Doc]], *more: Doc) -> Doc:
    return _doc("Workflow", "w", "main", {"name": "main", "steps": outer}, *more)


def test_step_passing_a_parameter_the_called_template_does_not_declare_is_accepted() -> None:
    inner = {"name": "inner-steps", "steps": [[{"name": "hello", "template": "say"}]]}
    say = {"name": "say", "container": {"image": "busybox", "command": ["echo", "hi"]}}
    call = {"name": "call", "template": "inner-steps", "arguments": {"parameters": [{"name": "message", "value": "m"}]}}
    assert _errors(_steps_workflow([[call]], inner, say)) == []
    task = {**call, "arguments": {"artifacts": [{"name": "extra", "raw": {"data": "x"}}]}}
    dag = _doc("Workflow", "d", "main", {"name": "main", "dag": {"tasks": [task]}}, inner, say)
    assert _errors(dag) == []


def _hooked_step(hooks: Doc) -> list[list[Doc]]:
    return [[{"name": "step-1", "template": "produce", "hooks": hooks}]]


PRODUCE: Doc = {
    "name": "produce",
    "container": {"image": "busybox", "command": ["sh", "-c", "echo 1 > /tmp/r"]},
    "outputs": {"parameters": [{"name": "result", "valueFrom": {"path": "/tmp/r"}}]},
}


def _hook(value: str) -> Doc:
    return {"template": "print", "arguments": {"parameters": [{"name": "message", "value": value}]}}


def test_exit_hook_reading_its_own_steps_outputs_is_accepted() -> None:
    hooks = {"exit": _hook("{{steps.step-1.outputs.parameters.result}}")}
    assert _errors(_steps_workflow(_hooked_step(hooks), PRODUCE, _echo("print", "message"))) == []


def test_hook_of_a_step_without_exit_hook_reads_its_status_but_not_its_outputs() -> None:
    status = {"running": {**_hook("{{steps.step-1.status}}"), "expression": "steps['step-1'].status == 'Running'"}}
    assert _errors(_steps_workflow(_hooked_step(status), PRODUCE, _echo("print", "message"))) == []
    outputs = {"running": {**_hook("{{steps.step-1.outputs.parameters.result}}"), "expression": "true"}}
    (line,) = _errors(_steps_workflow(_hooked_step(outputs), PRODUCE, _echo("print", "message")))
    assert "uses step 'step-1' of the same or a later group" in line


def test_step_arguments_reading_the_step_itself_are_still_refused() -> None:
    step = {
        "name": "step-1",
        "template": "print",
        "arguments": {"parameters": [{"name": "message", "value": "{{steps.step-1.outputs.result}}"}]},
        "hooks": {"exit": {"template": "print", "arguments": {"parameters": [{"name": "message", "value": "x"}]}}},
    }
    (line,) = _errors(_steps_workflow([[step]], _echo("print", "message")))
    assert "uses step 'step-1' of the same or a later group" in line


def test_dag_task_hooks_reading_their_own_tasks_outputs_are_accepted() -> None:
    task = {"name": "task-1", "template": "produce", "hooks": {"exit": _hook("{{tasks.task-1.outputs.result}}")}}
    other = {"name": "task-2", "template": "produce", "hooks": {"exit": _hook("{{tasks.task-1.outputs.result}}")}}
    dag = _doc("Workflow", "d", "main", {"name": "main", "dag": {"tasks": [task]}}, PRODUCE, _echo("print", "message"))
    assert _errors(dag) == []
    dag["spec"]["templates"][0]["dag"]["tasks"].append(other)
    (line,) = _errors(dag)
    assert "uses the outputs of task 'task-1' but does not depend on it" in line


def test_steps_name_and_tasks_name_are_the_current_step_and_task() -> None:
    call = {
        "name": "greet",
        "template": "print",
        "arguments": {"parameters": [{"name": "message", "value": "{{steps.name}}"}]},
    }
    print_name = {
        "name": "named",
        "container": {"image": "busybox", "command": ["echo", "{{steps.name}} {{=steps.name}}"]},
    }
    assert (
        _errors(_steps_workflow([[call, {"name": "n", "template": "named"}]], _echo("print", "message"), print_name))
        == []
    )
    task = {**call, "arguments": {"parameters": [{"name": "message", "value": "{{tasks.name}}"}]}}
    dag = _doc("Workflow", "d", "main", {"name": "main", "dag": {"tasks": [task]}}, _echo("print", "message"))
    assert _errors(dag) == []
    unknown = {**call, "arguments": {"parameters": [{"name": "message", "value": "{{steps.nme.outputs.result}}"}]}}
    (line,) = _errors(_steps_workflow([[unknown]], _echo("print", "message")))
    assert "refers to unknown step 'nme'" in line


def test_pod_resources_of_argo_4_1_are_accepted_on_the_spec_and_a_template() -> None:
    resources = {"requests": {"cpu": "500m"}, "limits": {"memory": "1Gi"}}
    template = {**_echo("main"), "podResources": resources}
    workflow = _doc("Workflow", "sized", "main", template, podResources=resources)
    cron = {**_doc("CronWorkflow", "nightly", "main"), "spec": {"schedules": ["0 1 * * *"]}}
    cron["spec"]["workflowSpec"] = {"entrypoint": "main", "templates": [template], "podResources": resources}
    assert _errors(workflow, cron) == []


def test_pod_resources_are_still_checked_and_unknown_elsewhere() -> None:
    bad = {**_echo("main"), "podResources": {"limits": "a lot"}}
    misplaced = _echo("other")
    misplaced["container"]["podResources"] = {"limits": {"cpu": "1"}}
    problems = _errors(_doc("Workflow", "sized", "main", bad, misplaced))
    assert any("spec.templates[0].podResources.limits: invalid value 'a lot'" in p for p in problems), problems
    assert any("spec.templates[1].container: unknown field 'podResources'" in p for p in problems), problems
