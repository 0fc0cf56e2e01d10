"""Hera runner scripts (`@script(constructor="runner")`) submitted with Hera's client run on the local engine.

A runner step is `python -m hera.workflows.runner -e <module>:<function> <script>`, its script the JSON of
`{{inputs.parameters}}` (`null` without inputs). On a `python:*` image it runs on the stack's own Python,
which has Hera: the user's module must be importable there, installed in the stack's environment or in a
folder on the PYTHONPATH the stack starts with (readable by others: a sandboxed step runs as `nobody`), as
it must be in the step image on a cluster. Here the module is written to such a folder before the engine starts.
An annotated output is written under the step's private `/tmp` (`/tmp/hera-outputs`) and collected from there.
"""

# No `from __future__ import annotations` here: Hera reads the script functions' annotations at runtime.

import importlib
import textwrap
from collections.abc import Iterator
from types import ModuleType

import pytest
from hera.workflows import Steps, Workflow, WorkflowsService

from sluicegate.engine.testing import LocalEngine
from sluicegate.store import Store
from tests.api.conftest import Api, served

NS = "argo"
USER_MODULE = "sluice_runner_user_steps"
USER_CODE = '''
    """A user's runner functions, as a step image would ship them."""

    from typing import Annotated

    from hera.workflows import Parameter, script
    from pydantic import BaseModel


    class Point(BaseModel):
        x: int
        y: int


    @script(image="python:3.12", constructor="runner")
    def make_point() -> Point:
        return Point(x=4, y=40)


    @script(image="python:3.12", constructor="runner")
    def add(point: Point) -> Annotated[int, Parameter(name="sum")]:
        return point.x + point.y
'''


@pytest.fixture(scope="module")
def user_code(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The user's module, importable here and, through PYTHONPATH, by the engine started after it."""
    folder = tmp_path_factory.mktemp("user-code")
    (folder / f"{USER_MODULE}.py").write_text(textwrap.dedent(USER_CODE))
    folder.chmod(0o755)
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(folder))
        mp.setenv("PYTHONPATH", str(folder))
        yield importlib.import_module(USER_MODULE)


@pytest.fixture(scope="module")
def engine(user_code: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    """A controller whose step launcher starts with the user's folder on PYTHONPATH."""
    with LocalEngine(tmp_path_factory.mktemp("engine")) as eng:
        yield eng


@pytest.fixture(scope="module")
def api(engine: LocalEngine) -> Iterator[Api]:
    """The API server over the engine's store, for Hera's WorkflowsService."""
    with served(Store(engine.home / "store.db"), engine.home, "runner-token") as api:
        yield api


def test_runner_steps_pass_a_pydantic_value_and_save_an_annotated_output(
    engine: LocalEngine, api: Api, user_code: ModuleType
) -> None:
    svc = WorkflowsService(host=api.url, token=api.token, namespace=NS)
    with (
        Workflow(generate_name="runner-", namespace=NS, entrypoint="main", workflows_service=svc) as w,
        Steps(name="main"),
    ):
        made = user_code.make_point()
        user_code.add(arguments={"point": made.result})
    add = next(t for t in w.to_dict()["spec"]["templates"] if t["name"] == "add")
    assert add["script"]["args"] == ["-m", "hera.workflows.runner", "-e", f"{USER_MODULE}:add"]
    name = w.create().metadata.name
    done = engine.wait({"metadata": {"namespace": NS, "name": name}})
    assert done["status"]["phase"] == "Succeeded", done["status"]
    outputs = {n["displayName"]: n.get("outputs") or {} for n in done["status"]["nodes"].values() if n["type"] == "Pod"}
    assert outputs["make-point"]["result"] == '{"x": 4, "y": 40}'  # a returned model, printed as JSON
    assert [(p["name"], p["value"]) for p in outputs["add"]["parameters"]] == [("sum", "44")]  # /tmp/hera-outputs
