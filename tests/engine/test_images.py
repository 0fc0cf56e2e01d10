"""The image policy and the private /tmp every step gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluicegate.config import components_image
from sluicegate.engine import runtime_for
from sluicegate.engine.testing import LocalEngine
from sluicegate.errors import ConfigError
from tests.engine.conftest import nodes_by_display, workflow


@pytest.mark.parametrize(
    ("image", "runtime"),
    [
        ("busybox", "shell"),
        ("alpine:3.20", "shell"),
        ("docker.io/library/debian:12", "shell"),
        ("python:3.12-slim", "python"),
    ],
)
def test_runtime_for_builtin_images(image: str, runtime: str) -> None:
    assert runtime_for(image) == runtime


def test_runtime_for_components_image_is_python() -> None:
    assert runtime_for(components_image()) == "python"


def test_runtime_for_unknown_image_names_image_and_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        runtime_for("nginx:1.27", tmp_path)
    assert "nginx:1.27" in err.value.message
    assert "images.yaml" in err.value.message
    (tmp_path / "images.yaml").write_text("images:\n  'nginx*': shell\n")
    assert runtime_for("nginx:1.27", tmp_path) == "shell"


def test_unknown_image_fails_the_step_with_the_policy_message(engine: LocalEngine) -> None:
    t = {"name": "t", "container": {"image": "quay.io/acme/tool:1", "command": ["tool"]}}
    done = engine.wait(engine.submit(workflow("t", t)))
    assert done["status"]["phase"] == "Error"
    assert "quay.io/acme/tool:1" in done["status"]["nodes"][done["metadata"]["name"]]["message"]


def test_parallel_steps_get_private_tmp(engine: LocalEngine) -> None:
    write = {
        "name": "write",
        "inputs": {"parameters": [{"name": "v"}]},
        "container": {
            "image": "busybox",
            "command": ["sh", "-c"],
            "args": ["echo {{inputs.parameters.v}} > /tmp/same; sleep 0.5; cat /tmp/same"],
        },
    }
    step = {
        "name": "w",
        "template": "write",
        "withSequence": {"count": "4"},
        "arguments": {"parameters": [{"name": "v", "value": "{{item}}"}]},
    }
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "steps": [[step]]}, write)))
    nodes = nodes_by_display(done)
    assert [nodes[f"w({i}:{i})"]["outputs"]["result"] for i in range(4)] == ["0", "1", "2", "3"]
    assert not Path("/tmp/same").exists() or Path("/tmp/same").read_text().strip() not in {"0", "1", "2", "3"}


def test_step_logs_are_kept_per_node(engine: LocalEngine) -> None:
    t = {"name": "t", "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["echo out; echo err >&2"]}}
    done = engine.wait(engine.submit(workflow("t", t)))
    meta = done["metadata"]
    log = engine.home / "logs" / meta["namespace"] / meta["name"] / f"{meta['name']}.log"
    assert sorted(log.read_text().split()) == ["err", "out"]
    assert done["status"]["nodes"][meta["name"]]["outputs"]["result"] == "out"


def test_empty_dir_mounted_at_tmp_is_the_private_tmp(engine: LocalEngine) -> None:
    t = {
        "name": "t",
        "container": {
            "image": "busybox",
            "command": ["sh", "-c"],
            "args": ["echo hi > /tmp/x; cat /tmp/x"],
            "volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}],
        },
        "volumes": [{"name": "scratch", "emptyDir": {}}],
    }
    done = engine.wait(engine.submit(workflow("t", t)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert done["status"]["nodes"][done["metadata"]["name"]]["outputs"]["result"] == "hi"


def test_steps_without_mount_namespace_rewrite_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_PRIVATE_TMP", "0")
    t = {
        "name": "t",
        "script": {
            "image": "python:3",
            "command": ["python"],
            "source": "open('/tmp/o', 'w').write('x')\nprint(open('/tmp/o').read())",
        },
        "outputs": {"parameters": [{"name": "o", "valueFrom": {"path": "/tmp/o"}}]},
    }
    with LocalEngine(tmp_path) as eng:
        done = eng.wait(eng.submit(workflow("t", t)))
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert node["outputs"]["parameters"][0]["value"] == "x"
    assert node["outputs"]["result"] == "x"
