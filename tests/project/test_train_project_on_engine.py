"""`train-project` on the local engine: a project written for `mlflow run` trains in its own environment.

Real parts: the embedded controller, a real MLflow server, a git repository, uv-built environments in the
engine's environments folder (the machine's; the run's, shared by its stacks). One environment is shared by
the module (built once, then reused), so the bad-input cases cost only a step each.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workflows
from sluicegate.engine.testing import LocalEngine

pytestmark = pytest.mark.slow

MLPROJECT = """\
name: iris
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      C: {type: float, default: 1.0}
      fail: {type: int, default: 0}
      log_model: {type: int, default: 1}
    command: "python train.py --C {C} --fail {fail} --log-model {log_model}"
"""
# The spec `sluice init` writes (sluicegate/project/_scaffold.py): one environment, built once per test run, serves
# this project and the scaffolded ones (its build, mostly the warm-up importing every package, is ~20 CPU-s)
PYTHON_ENV = (
    "python: '3.11'\nbuild_dependencies:\n  - pip\ndependencies:\n"
    "  - mlflow=={mlflow}\n  - scikit-learn=={sklearn}\n  - pandas=={pandas}\n"
)
# Written for `mlflow run`: nothing about Sluicegate, its own start_run, autologging, log_model.
TRAIN = """\
import argparse, sys
import mlflow, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

p = argparse.ArgumentParser()
p.add_argument("--C", type=float); p.add_argument("--fail", type=int); p.add_argument("--log-model", type=int)
a = p.parse_args()
print("user code runs in", sys.prefix)
if a.fail:
    raise SystemExit("the user's code failed on purpose")
X, y = load_iris(return_X_y=True, as_frame=True)
with mlflow.start_run():
    mlflow.log_param("python", sys.prefix)
    model = LogisticRegression(C=a.C, max_iter=300).fit(X, y)
    mlflow.log_metric("train_accuracy", model.score(X, y))
    if a.log_model:
        # requirements named, as python_env.yaml has them: MLflow infers them otherwise by loading the model
        # again in a new interpreter, a quarter of the step's time; no test here serves the model
        mlflow.sklearn.log_model(
            model, name="model", input_example=X.head(2), pip_requirements=["mlflow", "scikit-learn", "pandas"]
        )
"""


def _git(path: Path, *args: str) -> str:
    git = ["git", "-C", str(path), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    return subprocess.run([*git, *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    from importlib.metadata import version

    path = tmp_path_factory.mktemp("project") / "iris"
    path.mkdir()
    (path / "MLproject").write_text(MLPROJECT)
    (path / "python_env.yaml").write_text(
        PYTHON_ENV.format(mlflow=version("mlflow"), sklearn=version("scikit-learn"), pandas=version("pandas"))
    )
    (path / "train.py").write_text(TRAIN)
    (path / "sluicegate.yaml").write_text("name: iris-engine\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "project")
    return str(path), _git(path, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    with LocalEngine(tmp_path_factory.mktemp("home")) as eng:
        for doc in workflows.manifests():
            if doc["kind"] == "WorkflowTemplate":
                eng.store.apply(copy.deepcopy(doc))
        yield eng


def _run(eng: LocalEngine, repo: tuple[str, str], mlflow: str, **extra: str) -> dict[str, Any]:
    params = {"git-repo": repo[0], "git-revision": repo[1], "mlflow-tracking-uri": mlflow, "build-target": "local"}
    wf = eng.submit(
        {
            "metadata": {"generateName": "train-project-", "namespace": "sluicegate"},
            "spec": {
                "workflowTemplateRef": {"name": "train-project"},
                "arguments": {"parameters": [{"name": k, "value": v} for k, v in {**params, **extra}.items()]},
            },
        }
    )
    return eng.wait(wf, timeout=400)


def _nodes(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["displayName"]: n for n in wf["status"]["nodes"].values() if n["type"] in ("Retry", "Pod", "DAG")}


def _outputs(node: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p.get("value", "") for p in (node.get("outputs") or {}).get("parameters") or []}


def _summary(wf: dict[str, Any]) -> str:
    return "; ".join(f"{n['displayName']}: {n['phase']} {n.get('message', '')}" for n in wf["status"]["nodes"].values())


def _versions(mlflow: str) -> int:
    from mlflow import MlflowClient

    return len(MlflowClient(mlflow).search_model_versions("name='iris-engine'"))


@pytest.fixture(scope="module")
def trained(engine: LocalEngine, repo: tuple[str, str], mlflow_server: str) -> dict[str, Any]:
    """The project trained once (its environment built, version 1 registered), for the tests that need that."""
    return _run(engine, repo, mlflow_server, C="0.3")


def test_project_trains_in_its_own_env_and_registers(
    engine: LocalEngine, repo: tuple[str, str], mlflow_server: str, trained: dict[str, Any]
) -> None:
    wf = trained
    assert wf["status"]["phase"] == "Succeeded", _summary(wf)
    nodes = _nodes(wf)
    image = _outputs(nodes["build-env"])["image"]
    assert image.startswith("sluicegate.local/envs/iris-engine@sha256:")
    out = _outputs(nodes["register"])
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server)
    run = client.get_run(out["run-id"])
    assert run.info.status == "FINISHED"
    assert run.data.params["C"] == "0.3"  # -p C=0.3 reached the entry point, typed as mlflow run -P
    env_dir = str(engine.settings.envs_dir.resolve() / image.rsplit(":", 1)[1])
    assert run.data.params["python"] == env_dir  # the user's code ran in the project's env, not ours
    assert run.data.tags["git.revision"] == repo[1]
    assert run.data.tags["argo.workflow"] == wf["metadata"]["name"]
    version = client.get_model_version("iris-engine", out["model-version"])
    assert version.run_id == out["run-id"]
    assert version.tags["git.revision"] == repo[1]

    # The same spec again: the environment is reused, not rebuilt.
    again = _run(engine, repo, mlflow_server)
    assert again["status"]["phase"] == "Succeeded"
    assert _outputs(_nodes(again)["build-env"])["image"] == image


@pytest.mark.parametrize(
    ("params", "failed", "expected"),
    [
        ({"fail": "1"}, "register", "MLproject: entry_points.main: the command failed"),
        ({"log_model": "0"}, "register", "logged no model; log one in the entry point"),
        ({"C": "high"}, "start-run", "parameter 'C' must be a number (got 'high')"),
        ({"entry-point": "evaluate"}, "start-run", "MLproject: entry_points.evaluate: no such entry point"),
    ],
)
def test_project_bad_input_fails_at_its_step_and_registers_nothing(
    engine: LocalEngine,
    repo: tuple[str, str],
    mlflow_server: str,
    params: dict[str, str],
    failed: str,
    expected: str,
) -> None:
    before = _versions(mlflow_server)
    wf = _run(engine, repo, mlflow_server, **params)
    assert wf["status"]["phase"] == "Failed"
    node = _nodes(wf)[failed]
    assert node["phase"] in ("Failed", "Error")
    # the one-line reason is the node's message, as Argo makes it of the termination message
    assert node["message"].startswith("main: Error (exit code 2): "), node["message"]
    assert expected in node["message"] and "\n" not in node["message"], node["message"]
    assert _versions(mlflow_server) == before


def _variant(repo: tuple[str, str], branch: str, files: dict[str, str | None]) -> tuple[str, str]:
    """A commit of the project on its own branch with `files` written (None: deleted); (repo, revision)."""
    path = Path(repo[0])
    _git(path, "checkout", "-q", "-b", branch, repo[1])
    try:
        for rel, text in files.items():
            if text is None:
                _git(path, "rm", "-q", rel)
            else:
                (path / rel).parent.mkdir(parents=True, exist_ok=True)
                (path / rel).write_text(text)
        _git(path, "add", "-A")
        _git(path, "commit", "-q", "-m", branch)
        return repo[0], _git(path, "rev-parse", "HEAD")
    finally:
        _git(path, "checkout", "-q", "main")


def _one_line_failure(wf: dict[str, Any], step: str, *needles: str) -> str:
    """The failed step's node message: Argo's prefix and one line naming file, key and fix; also in failures."""
    assert wf["status"]["phase"] == "Failed", _summary(wf)
    node = _nodes(wf)[step]
    message = str(node.get("message", ""))
    assert node["phase"] == "Failed" and message.startswith("main: Error (exit code 2): "), _summary(wf)
    assert "\n" not in message and all(n in message for n in needles), message
    return message


@pytest.mark.parametrize(
    ("branch", "files", "needles"),
    [
        ("bad-config", {"sluicegate.yaml": "name: Iris_Engine\n"}, ["sluicegate.yaml", "name", "Iris_Engine"]),
        ("unknown-key", {"sluicegate.yaml": "name: iris-engine\ntrian: {}\n"}, ["sluicegate.yaml", "trian"]),
        ("bad-mlproject", {"MLproject": "name: iris\nentry_points: [main]\n"}, ["MLproject", "entry_points"]),
        ("no-mlproject", {"MLproject": None}, ["MLproject", "main"]),
        (
            "unresolvable-env",
            {"python_env.yaml": "python: '3.11'\ndependencies:\n  - ./wheels/missing-1.0-py3-none-any.whl\n"},
            ["python_env.yaml", "installing dependencies failed", "check the package names"],
        ),
        (
            "strict-python",
            {
                "python_env.yaml": "python: '3.99'\n",
                "sluicegate.yaml": "name: iris-engine\nenvironment: {strict_python: true}\n",
            },
            ["python_env.yaml", "Python 3.99 is not installed", "strict_python"],
        ),
    ],
)
def test_bad_project_fails_at_its_step_with_one_line_and_registers_nothing(
    engine: LocalEngine,
    repo: tuple[str, str],
    mlflow_server: str,
    branch: str,
    files: dict[str, str | None],
    needles: list[str],
) -> None:
    before = _versions(mlflow_server)
    wf = _run(engine, _variant(repo, branch, files), mlflow_server)
    pods = [n["displayName"] for n in _nodes(wf).values() if n["type"] == "Pod" and n["phase"] == "Failed"]
    failed = [name.split("(")[0] for name in pods]  # `build-env(0)`: the first attempt of the step `build-env`
    assert len(failed) == 1, _summary(wf)
    _one_line_failure(wf, failed[0], *needles)
    assert failed[0] in ("build-env", "start-run")  # checked before any user code or MLflow run
    assert _versions(mlflow_server) == before


def test_python_version_fallback_is_a_warning_in_the_build_step_message(
    engine: LocalEngine, repo: tuple[str, str]
) -> None:
    project = _variant(repo, "old-python", {"python_env.yaml": "python: '3.99'\n"})
    args = {"git-repo": project[0], "git-revision": project[1], "project-model-name": "", "build-target": "local"}
    wf = engine.wait(
        engine.submit(
            {
                "metadata": {"generateName": "build-env-", "namespace": "sluicegate"},
                "spec": {
                    "entrypoint": "main",
                    "templates": [
                        {
                            "name": "main",
                            "steps": [
                                [
                                    {
                                        "name": "build-env",
                                        "templateRef": {"name": "train-project", "template": "build-env"},
                                        "arguments": {
                                            "parameters": [
                                                {"name": k, "value": v} for k, v in {**args, "env-registry": ""}.items()
                                            ]
                                        },
                                    }
                                ]
                            ],
                        }
                    ],
                },
            }
        ),
        timeout=300,
    )
    assert wf["status"]["phase"] == "Succeeded", _summary(wf)
    message = _nodes(wf)["build-env(0)"]["message"]  # the pod's node (Argo's Retry node keeps no message)
    assert message.startswith("warning: Python 3.99 asked in python_env.yaml"), message
    assert "strict_python: true" in message


def test_evaluation_data_without_target_fails_evaluate_and_leaves_the_champion(
    engine: LocalEngine, repo: tuple[str, str], mlflow_server: str, trained: dict[str, Any]
) -> None:
    from mlflow import MlflowClient

    assert trained["status"]["phase"] == "Succeeded", _summary(trained)
    client = MlflowClient(mlflow_server)
    version = _outputs(_nodes(trained)["register"])["model-version"]
    client.set_registered_model_alias("iris-engine", "champion", version)
    project = _variant(
        repo,
        "no-target",
        {
            "data/eval.csv": "a,b\n1,2\n",
            "sluicegate.yaml": "name: iris-engine\nevaluation: {data: data/eval.csv, target: species}\n",
        },
    )
    params = {
        "git-repo": project[0],
        "git-revision": project[1],
        "model-name": "iris-engine",
        "model-version": version,
        "mlflow-tracking-uri": mlflow_server,
        "image": _outputs(_nodes(trained)["build-env"])["image"],
    }
    wf = engine.wait(
        engine.submit(
            {
                "metadata": {"generateName": "evaluate-project-", "namespace": "sluicegate"},
                "spec": {
                    "workflowTemplateRef": {"name": "evaluate-project"},
                    "arguments": {"parameters": [{"name": k, "value": v} for k, v in params.items()]},
                },
            }
        ),
        timeout=300,
    )
    _one_line_failure(wf, "prepare", "data/eval.csv", "no column 'species'", "evaluation.target")
    assert "score" not in _nodes(wf) and "decide" not in _nodes(wf)
    assert client.get_model_version_by_alias("iris-engine", "champion").version == version
    assert "evaluate.decision" not in client.get_model_version("iris-engine", version).tags


def test_bad_push_through_project_pipeline_keeps_champion_and_rollout_and_tells_why(
    engine: LocalEngine, repo: tuple[str, str], mlflow_server: str, trained: dict[str, Any]
) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server)
    version = _outputs(_nodes(trained)["register"])["model-version"]
    client.set_registered_model_alias("iris-engine", "champion", version)
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "iris-engine", "namespace": "sluicegate"},
        "spec": {"replicas": 1, "template": {"metadata": {"annotations": {"sluicegate.io/model-version": version}}}},
    }
    live, _ = engine.store.apply(rollout)
    before = _versions(mlflow_server)
    project = _variant(repo, "pushed-bad-config", {"sluicegate.yaml": "name: iris-engine\ntrain: {entry_point: 7}\n"})
    params = {"git-repo": project[0], "git-revision": project[1], "mlflow-tracking-uri": mlflow_server}
    wf = engine.wait(
        engine.submit(
            {
                "metadata": {"generateName": "project-pipeline-", "namespace": "sluicegate"},
                "spec": {
                    "workflowTemplateRef": {"name": "project-pipeline"},
                    "arguments": {
                        "parameters": [{"name": k, "value": v} for k, v in {**params, "build-target": "local"}.items()]
                    },
                },
            }
        ),
        timeout=400,
    )
    line = _one_line_failure(wf, "build-env", "sluicegate.yaml", "train.entry_point")
    assert _versions(mlflow_server) == before
    assert client.get_model_version_by_alias("iris-engine", "champion").version == version
    assert engine.store.get("Rollout", "sluicegate", "iris-engine")["metadata"] == live["metadata"]
    # the exit handler's outcome record (the Slack message's source) carries the step's one line
    name = wf["metadata"]["name"]
    handler = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == f"{name}.onExit")
    record = json.loads(handler["outputs"]["result"].splitlines()[-1])
    assert record["reason"] == "build-env(0): " + line.removeprefix("main: Error (exit code 2): ")
