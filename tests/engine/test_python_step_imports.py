"""A Python step imports what a new interpreter in its container would: the working directory for `-m`, the
script's folder, and the template's PYTHONPATH (not with `-E`), although it runs in the warm, forked Python."""

from __future__ import annotations

from typing import Any

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import workflow


def _python_step(command: list[str], files: dict[str, str], **container: Any) -> dict[str, Any]:
    """A python:3.11 container whose modules arrive as raw input artifacts, printing what it ran."""
    artifacts = [{"name": f"f{i}", "path": path, "raw": {"data": text}} for i, (path, text) in enumerate(files.items())]
    return {
        "name": "main",
        "inputs": {"artifacts": artifacts},
        "container": {"image": "python:3.11", "command": command, **container},
    }


def _result(engine: LocalEngine, step: dict[str, Any]) -> tuple[str, str]:
    done = engine.wait(engine.submit(workflow("main", step)))
    node = done["status"]["nodes"][done["metadata"]["name"]]
    return node["phase"], str(node.get("message") or (node.get("outputs") or {}).get("result") or "")


def test_dash_m_imports_from_the_working_directory(engine: LocalEngine) -> None:
    step = _python_step(["python", "-m", "usermod"], {"/src/usermod.py": "print('ran usermod')"}, workingDir="/src")
    assert _result(engine, step) == ("Succeeded", "ran usermod")


def test_pythonpath_of_the_template_is_searched_and_ignored_with_dash_e(engine: LocalEngine) -> None:
    files = {"/opt/lib/libmod.py": "WHO = 'libmod'"}
    env = [{"name": "PYTHONPATH", "value": "/opt/lib"}]
    code = "import libmod; print(libmod.WHO)"
    assert _result(engine, _python_step(["python", "-c", code], files, env=env)) == ("Succeeded", "libmod")
    phase, _ = _result(engine, _python_step(["python", "-E", "-c", code], files, env=env))
    assert phase == "Failed"


def test_a_script_imports_its_neighbours(engine: LocalEngine) -> None:
    files = {"/app/main.py": "import helper\nprint(helper.NAME)", "/app/helper.py": "NAME = 'neighbour'"}
    assert _result(engine, _python_step(["python", "/app/main.py"], files)) == ("Succeeded", "neighbour")
