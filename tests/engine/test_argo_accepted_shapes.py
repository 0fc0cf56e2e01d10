"""Shapes Argo's validation accepts run to Succeeded: extra arguments, self-reading exit hooks, steps.name,
and a script that creates the folder of its declared outputs itself."""

from __future__ import annotations

from typing import Any

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow

Doc = dict[str, Any]


def _param(name: str, value: str) -> Doc:
    return {"parameters": [{"name": name, "value": value}]}


def _print(name: str = "print") -> Doc:
    tmpl = sh(name, "echo '{{inputs.parameters.message}}'")
    return {**tmpl, "inputs": {"parameters": [{"name": "message"}]}}


def test_arguments_the_called_template_does_not_declare_are_ignored(engine: LocalEngine) -> None:
    outer = {
        "name": "outer",
        "steps": [[{"name": "call", "template": "inner-steps", "arguments": _param("message", "unused")}]],
    }
    inner = {"name": "inner-steps", "steps": [[{"name": "hello", "template": "hello"}]]}
    hello = sh("hello", "echo hello")
    done = engine.wait(engine.submit(workflow("outer", outer, inner, hello)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert nodes_by_display(done)["hello"]["outputs"]["result"] == "hello"


def test_exit_hook_reads_the_outputs_of_its_own_step(engine: LocalEngine) -> None:
    produce = {
        **sh("produce", "echo -n 42 > /tmp/r"),
        "outputs": {"parameters": [{"name": "result", "valueFrom": {"path": "/tmp/r"}}]},
    }
    hook = {"template": "print", "arguments": _param("message", "got {{steps.step-1.outputs.parameters.result}}")}
    task_hook = {"template": "print", "arguments": _param("message", "task {{tasks.task-1.outputs.parameters.result}}")}
    main = {
        "name": "main",
        "steps": [
            [{"name": "step-1", "template": "produce", "hooks": {"exit": hook}}],
            [{"name": "d", "template": "d"}],
        ],
    }
    dag = {"name": "d", "dag": {"tasks": [{"name": "task-1", "template": "produce", "hooks": {"exit": task_hook}}]}}
    done = engine.wait(engine.submit(workflow("main", main, dag, produce, _print())))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    ran = sorted(n["outputs"]["result"] for n in done["status"]["nodes"].values() if n.get("templateName") == "print")
    assert ran == ["got 42", "task 42"]


def test_steps_name_and_tasks_name_are_the_current_step_and_task(engine: LocalEngine) -> None:
    named = sh("named", "echo 'step {{steps.name}}'")
    main = {
        "name": "main",
        "steps": [
            [{"name": "greet", "template": "print", "arguments": _param("message", "I am {{steps.name}}")}],
            [{"name": "second", "template": "named"}],
            [{"name": "dag", "template": "dag"}],
        ],
    }
    dag = {"name": "dag", "dag": {"tasks": [{"name": "task-a", "template": "in-dag"}]}}
    in_dag = sh("in-dag", "echo 'task {{tasks.name}}'")
    done = engine.wait(engine.submit(workflow("main", main, _print(), named, dag, in_dag)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    nodes = nodes_by_display(done)
    assert nodes["greet"]["outputs"]["result"] == "I am greet"
    assert nodes["second"]["outputs"]["result"] == "step second"
    assert nodes["task-a"]["outputs"]["result"] == "task task-a"


def _script(name: str, source: str, **extra: Any) -> Doc:
    return {"name": name, "script": {"image": "python:3", "command": ["python"], "source": source}, **extra}


def test_a_script_creates_the_folder_of_its_declared_outputs_itself(engine: LocalEngine) -> None:
    # as a map step: the folder of its outputs is not there until the script makes it, nor is its input's one
    split = _script(
        "split",
        "import os\nos.mkdir('/mnt/out')\nfor i in range(2):\n    open(f'/mnt/out/{i}.json', 'w').write(str(i))\n",
        outputs={"artifacts": [{"name": "parts", "path": "/mnt/out"}]},
    )
    mapper = _script(
        "map",
        "import os\nos.mkdir('/mnt/out')\nopen('/mnt/out/part.json', 'w').write(open('/mnt/in/parts/1.json').read())\n",
        inputs={"artifacts": [{"name": "parts", "path": "/mnt/in/parts"}]},
        outputs={
            "parameters": [{"name": "part", "valueFrom": {"path": "/mnt/out/part.json"}}],
            "artifacts": [
                {"name": "part", "path": "/mnt/out/part.json"},
                {"name": "absent", "path": "/mnt/none/x.json", "optional": True},
            ],
        },
    )
    main = {
        "name": "main",
        "steps": [
            [{"name": "split", "template": "split"}],
            [
                {
                    "name": "map",
                    "template": "map",
                    "arguments": {"artifacts": [{"name": "parts", "from": "{{steps.split.outputs.artifacts.parts}}"}]},
                }
            ],
        ],
    }
    done = engine.wait(engine.submit(workflow("main", main, split, mapper)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    outputs = nodes_by_display(done)["map"]["outputs"]
    assert outputs["parameters"][0]["value"] == "1"
    assert [a["name"] for a in outputs["artifacts"]] == ["part"]


def test_an_output_whose_folder_the_step_never_made_fails_the_step(engine: LocalEngine) -> None:
    lazy = _script(
        "lazy",
        "print('no folder made')\n",
        outputs={"artifacts": [{"name": "total", "path": "/mnt/out/total.json"}]},
    )
    done = engine.wait(engine.submit(workflow("lazy", lazy)))
    assert done["status"]["phase"] == "Error"  # as Argo's wait container failing to save an output
    assert "/mnt/out/total.json does not exist" in nodes_by_display(done)[done["metadata"]["name"]]["message"]


def test_outputs_on_a_volume_mount_and_in_a_folder_the_step_made_are_collected(engine: LocalEngine) -> None:
    step = _script(
        "write",
        "import os\nopen('/work/vol/a.txt', 'w').write('on the volume')\n"
        "os.makedirs('/data/made/deep')\nopen('/data/made/deep/b.txt', 'w').write('made here')\n",
        outputs={
            "parameters": [
                {"name": "a", "valueFrom": {"path": "/work/vol/a.txt"}},
                {"name": "b", "valueFrom": {"path": "/data/made/deep/b.txt"}},
            ]
        },
    )
    step["script"]["volumeMounts"] = [{"name": "scratch", "mountPath": "/work/vol"}]
    done = engine.wait(engine.submit(workflow("write", step, volumes=[{"name": "scratch", "emptyDir": {}}])))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    values = {p["name"]: p["value"] for p in nodes_by_display(done)[done["metadata"]["name"]]["outputs"]["parameters"]}
    assert values == {"a": "on the volume", "b": "made here"}
