"""Output parameters (path, default, globalName, valueFrom.parameter/expression) and artifacts."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow


def test_output_parameters_default_global_and_expression(engine: LocalEngine) -> None:
    produce = sh(
        "produce",
        "echo 41 > /tmp/n",
        outputs={
            "parameters": [
                {"name": "n", "valueFrom": {"path": "/tmp/n"}, "globalName": "the-n"},
                {"name": "missing", "valueFrom": {"path": "/tmp/none", "default": "dflt"}},
            ]
        },
    )
    main = {
        "name": "main",
        "steps": [[{"name": "p", "template": "produce"}]],
        "outputs": {
            "parameters": [
                {"name": "copied", "valueFrom": {"parameter": "{{steps.p.outputs.parameters.n}}"}},
                {"name": "plus", "valueFrom": {"expression": "asInt(steps.p.outputs.parameters.n) + 1"}},
            ]
        },
    }
    done = engine.wait(engine.submit(workflow("main", main, produce)))
    assert done["status"]["phase"] == "Succeeded"
    nodes = nodes_by_display(done)
    params = {p["name"]: p["value"] for p in nodes["p"]["outputs"]["parameters"]}
    assert params == {"n": "41", "missing": "dflt"}
    root = done["status"]["nodes"][done["metadata"]["name"]]
    assert {p["name"]: p["value"] for p in root["outputs"]["parameters"]} == {"copied": "41", "plus": "42"}
    assert done["status"]["outputs"]["parameters"] == [{"name": "the-n", "value": "41"}]


def test_missing_output_file_without_default_errors(engine: LocalEngine) -> None:
    t = sh("t", "true", outputs={"parameters": [{"name": "x", "valueFrom": {"path": "/tmp/nothing"}}]})
    done = engine.wait(engine.submit(workflow("t", t)))
    assert done["status"]["phase"] == "Error"
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert "output parameter 'x'" in node["message"]


def test_artifacts_tgz_none_subpath_and_raw(engine: LocalEngine) -> None:
    make = sh(
        "make",
        "mkdir -p /tmp/d && echo one > /tmp/d/a.txt && echo two > /tmp/f.txt",
        outputs={
            "artifacts": [
                {"name": "dir", "path": "/tmp/d"},
                {"name": "file", "path": "/tmp/f.txt", "archive": {"none": {}}},
            ]
        },
    )
    use = sh(
        "use",
        "cat /tmp/in/a.txt /tmp/sub.txt /tmp/f /tmp/raw",
        inputs={
            "artifacts": [
                {"name": "dir", "path": "/tmp/in"},
                {"name": "sub", "path": "/tmp/sub.txt"},
                {"name": "file", "path": "/tmp/f"},
                {"name": "raw", "path": "/tmp/raw", "raw": {"data": "three"}},
            ]
        },
    )
    steps = [
        [{"name": "make", "template": "make"}],
        [
            {
                "name": "use",
                "template": "use",
                "arguments": {
                    "artifacts": [
                        {"name": "dir", "from": "{{steps.make.outputs.artifacts.dir}}"},
                        {"name": "sub", "from": "{{steps.make.outputs.artifacts.dir}}", "subPath": "a.txt"},
                        {"name": "file", "from": "{{steps.make.outputs.artifacts.file}}"},
                    ]
                },
            }
        ],
    ]
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "steps": steps}, make, use)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    nodes = nodes_by_display(done)
    assert nodes["use"]["outputs"]["result"] == "one\none\ntwo\nthree"
    keys = {a["name"]: a["s3"]["key"] for a in nodes["make"]["outputs"]["artifacts"]}
    assert keys["dir"].endswith("/dir.tgz") and (engine.home / "artifacts" / keys["dir"]).is_file()
    assert (engine.home / "artifacts" / keys["file"]).read_text() == "two\n"


def test_git_input_artifact_at_revision(engine: LocalEngine, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "v.txt").write_text("first\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "1"], check=True)
    first = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    (repo / "v.txt").write_text("second\n")
    subprocess.run([*git, "commit", "-qam", "2"], check=True)
    t = sh(
        "t",
        "cat /tmp/src/v.txt",
        inputs={
            "artifacts": [{"name": "src", "path": "/tmp/src", "git": {"repo": f"file://{repo}", "revision": first}}]
        },
    )
    done = engine.wait(engine.submit(workflow("t", t)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert done["status"]["nodes"][done["metadata"]["name"]]["outputs"]["result"] == "first"


def test_memoize_reuses_outputs_from_the_configmap_cache(engine: LocalEngine) -> None:
    gen = {
        "name": "gen",
        "inputs": {"parameters": [{"name": "k"}]},
        "memoize": {
            "key": "gen-{{inputs.parameters.k}}",
            "maxAge": "1h",
            "cache": {"configMap": {"name": "memo-cache"}},
        },
        "script": {"image": "python:3", "command": ["python"], "source": "import uuid\nprint(uuid.uuid4())"},
    }
    arg = {"parameters": [{"name": "k", "value": "same"}]}
    main = {
        "name": "main",
        "steps": [
            [{"name": "first", "template": "gen", "arguments": arg}],
            [{"name": "second", "template": "gen", "arguments": arg}],
        ],
    }
    done = engine.wait(engine.submit(workflow("main", main, gen)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    nodes = nodes_by_display(done)
    assert nodes["first"]["memoizationStatus"] == {"hit": False, "key": "gen-same", "cacheName": "memo-cache"}
    assert nodes["second"]["memoizationStatus"]["hit"] is True
    assert nodes["second"]["outputs"]["result"] == nodes["first"]["outputs"]["result"]
    again = engine.wait(engine.submit(workflow("main", main, gen)))  # a later workflow hits the stored cache
    assert nodes_by_display(again)["first"]["outputs"]["result"] == nodes["first"]["outputs"]["result"]
    cache = engine.store.get("ConfigMap", done["metadata"]["namespace"], "memo-cache")
    assert "gen-same" in cache["data"]
