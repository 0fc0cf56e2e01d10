"""Bring your own model, end to end: three model repositories go `git push` -> canary on one `sluice up`.

- a project made by `sluice init` (scikit-learn classification),
- the second sample, `examples/projects/diabetes-lightgbm` (LightGBM regression in a custom pyfunc),
- an MLflow Project written for `mlflow run` with no Sluicegate in mind (autologging, one `log_model`, no
  registration), with only a `sluicegate.yaml` added.

Each repository is wired with `sluice project connect` and pushed twice: a weak first version (no champion
yet: straight to full traffic) and a better second one, which must pass the evaluation's thresholds, the
stress test and the canary analysis to be promoted. Every step runs for real: the `train-on-push` Sensor
starting `project-pipeline`, uv-built environments, a real MLflow server, model servers, the
Rollouts controller and Prometheus. One stack serves the module and the three repositories push at once
(each round's three pipelines run side by side, as a team's projects do); the two projects whose
python_env.yaml match share one environment. Models are tiny and the gates short. The module fixture runs
both rounds and records each repository's outcome; one test per repository then checks its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from sluicegate.client import StackClient
from sluicegate.config import Settings, load_endpoints
from tests.stack.conftest import run_sluice

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    # Two rounds of three pipelines and canaries on one stack take 10-20 minutes on 2 cores, more than the whole
    # rest of the suite: `make test-e2e` runs it (it sets SLUICE_TEST_BYO_E2E=1).
    pytest.mark.skipif(not os.environ.get("SLUICE_TEST_BYO_E2E"), reason="run it with `make test-e2e`"),
]
NAMESPACE = "sluicegate"
GIT_ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com"}
GIT_ENV |= {"GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com"}
#: Short gates: the test checks that they run and decide, not this machine's latency. The window is two
#: Prometheus scrapes (every 5 s); with little traffic the queries answer 1 and 0, as they are written to.
FAST_GATES = """\
stress_test: {target_rps: 5, duration_seconds: 3, p99_latency_ms: 5000, max_error_rate: 0.05}
canary: {min_success_rate: 0.5, max_p99_latency_ms: 5000, pause: 1s, interval: 2s, count: 1, window: 10s}
"""
#: How long one round (three pipelines side by side) may take on a loaded machine.
ROUND_TIMEOUT = 1500

PLAIN_MLPROJECT = """\
name: wine
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      C: {type: float, default: 1.0}
    command: "python train.py {C}"
"""
# Written for `mlflow run`: autologging for params and metrics, one log_model, nothing registered.
PLAIN_TRAIN = """\
import sys

import mlflow
import mlflow.sklearn
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

mlflow.sklearn.autolog(log_models=False)
frame = pd.read_csv("data/wine.csv")
X, y = frame.drop(columns=["label"]), frame["label"]
with mlflow.start_run():
    model = make_pipeline(StandardScaler(), LogisticRegression(C=float(sys.argv[1]), max_iter=1000)).fit(X, y)
    mlflow.sklearn.log_model(model, name="model", input_example=X.head(3))
"""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True)
    assert done.returncode == 0, f"git {args}: {done.stderr}"
    return done.stdout.strip() + done.stderr.strip()


def _python_env() -> str:
    return (
        f'python: "3.11"\nbuild_dependencies: [pip]\ndependencies:\n  - mlflow=={version("mlflow")}\n'
        f"  - scikit-learn=={version('scikit-learn')}\n  - pandas=={version('pandas')}\n"
    )


def _plain_project(root: Path) -> None:
    from sklearn.datasets import load_wine

    root.mkdir(parents=True)
    (root / "data").mkdir()
    frame = load_wine(as_frame=True).frame.rename(columns={"target": "label"})
    frame.columns = [c.replace("/", "_") for c in frame.columns]
    frame.to_csv(root / "data" / "wine.csv", index=False)
    (root / "MLproject").write_text(PLAIN_MLPROJECT)
    (root / "python_env.yaml").write_text(_python_env())
    (root / "train.py").write_text(PLAIN_TRAIN)
    git(root.parent, "init", "-q", "-b", "main", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a linear model on the wine data (mlflow run .)")
    # the one file Sluicegate adds
    (root / "sluicegate.yaml").write_text(
        "name: wine\nevaluation: {data: data/wine.csv, target: label, model_type: classifier}\n"
    )


def _sample_project(root: Path) -> None:
    shutil.copytree(ROOT / "examples" / "projects" / "diabetes-lightgbm", root)
    git(root.parent, "init", "-q", "-b", "main", str(root))


@dataclass(frozen=True)
class Case:
    """A repository and its two pushes: sluicegate.yaml's entry-point parameters of each version."""

    name: str
    make: Callable[[Path], None]
    weak: str
    strong: str


CASES = [
    Case("init-churn", lambda root: None, "{C: 0.0005}", "{C: 1.0}"),
    Case("diabetes-lightgbm", _sample_project, "{n_estimators: 2, learning_rate: 0.01}", "{n_estimators: 60}"),
    Case("wine", _plain_project, "{C: 0.0005}", "{C: 1.0}"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, mlflow_server: str) -> Iterator[tuple[Path, StackClient]]:
    home = tmp_path_factory.mktemp("byo") / "home"
    manifests = str(ROOT / "manifests")
    args = ["--port", "0", "--mlflow-tracking-uri", mlflow_server, "--manifests", manifests]
    up = run_sluice(home, "up", "--detach", *args)
    assert up.returncode == 0, up.stderr + up.stdout
    cfg = Settings(home=home)
    endpoints = load_endpoints(cfg)
    client = StackClient(endpoints.api, (home / "token").read_text().strip(), NAMESPACE, endpoints)
    started = time.monotonic()
    try:
        yield home, client
    finally:
        print(f"\nbring-your-own-model module: {time.monotonic() - started:.0f} s on one stack")
        run_sluice(home, "down")


def _param(wf: dict[str, Any], name: str) -> str:
    for p in (wf.get("spec") or {}).get("arguments", {}).get("parameters", []):
        if p["name"] == name:
            return str(p.get("value", ""))
    return ""


def _summary(wf: dict[str, Any]) -> str:
    nodes = (wf.get("status") or {}).get("nodes") or {}
    return "; ".join(
        f"{n['displayName']}: {n['phase']} {n.get('message', '')}" for n in nodes.values() if n["phase"] != "Succeeded"
    )


def _outputs(wf: dict[str, Any], node_name: str) -> dict[str, str]:
    for node in (wf.get("status") or {}).get("nodes", {}).values():
        if node["displayName"] == node_name and node.get("outputs"):
            return {p["name"]: p.get("value", "") for p in node["outputs"].get("parameters") or []}
    return {}


def _seconds(node: dict[str, Any]) -> float:
    from datetime import datetime

    def at(key: str) -> float:
        return datetime.fromisoformat(str(node[key]).replace("Z", "+00:00")).timestamp()

    return at("finishedAt") - at("startedAt") if node.get("finishedAt") and node.get("startedAt") else 0.0


def _timings(wf: dict[str, Any]) -> str:
    """`total 212 s: build-env 23, start-run 9, ...`: where one pipeline's time went, step by step."""
    status = wf.get("status") or {}
    pods = [n for n in (status.get("nodes") or {}).values() if n.get("type") in ("Pod", "Suspend")]
    pods.sort(key=lambda n: str(n.get("startedAt", "")))
    steps = ", ".join(f"{n['displayName'].split('(')[0]} {_seconds(n):.0f}" for n in pods)
    return f"total {_seconds(status):.0f} s: {steps}"


def _champion(mlflow: str, model: str) -> str:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return str(MlflowClient(mlflow).get_model_version_by_alias(model, "champion").version)
    except MlflowException:
        return ""


def _with_parameters(config: str, parameters: str) -> str:
    """sluicegate.yaml with these entry-point parameters and the short gates (replacing its own)."""
    config = config.split("stress_test:")[0].rstrip() + "\n"
    if "train:\n" in config:
        config = config.replace("train:\n", f"train:\n  parameters: {parameters}\n", 1)
    else:
        config += f"train:\n  parameters: {parameters}\n"
    return config + FAST_GATES


@dataclass
class Outcome:
    """What happened to one repository: its model versions in push order, or the first thing that went wrong."""

    versions: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    stable: list[str] = field(default_factory=list)
    error: str = ""


def _prepare(case: Case, root: Path, home: Path) -> tuple[Path, str]:
    repo = root / case.name
    if case.name == "init-churn":
        made = run_sluice(home, "init", str(repo), "--template", "classification")
        assert made.returncode == 0, made.stderr
    else:
        case.make(repo)
    connected = run_sluice(home, "project", "connect", str(repo))
    assert connected.returncode == 0, connected.stderr
    return repo, (repo / "sluicegate.yaml").read_text()


def _push(repo: Path, config: str, label: str, parameters: str) -> str:
    (repo / "sluicegate.yaml").write_text(_with_parameters(config, parameters))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"{label} version")
    sha = git(repo, "rev-parse", "HEAD")
    said = git(repo, "push", "-q", "sluice", "main")
    assert "webhook refs/heads/main: 200" in said, said
    return sha


def _finish(client: StackClient, shas: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The finished workflow of each pushed revision (case name -> workflow), all followed at once."""
    done: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + ROUND_TIMEOUT
    while len(done) < len(shas) and time.monotonic() < deadline:
        for wf in client.objects.list("Workflow", NAMESPACE):
            case = next((c for c, sha in shas.items() if _param(wf, "git-revision") == sha), None)
            if case and case not in done and (wf.get("status") or {}).get("phase") in ("Succeeded", "Failed", "Error"):
                done[case] = wf
        time.sleep(3)
    return done


def _check_round(
    client: StackClient, mlflow: str, label: str, case: Case, wf: dict[str, Any] | None, outcome: Outcome
) -> None:
    assert wf is not None, f"{label}: the push started no project-pipeline that finished in {ROUND_TIMEOUT} s"
    assert wf["status"]["phase"] == "Succeeded", f"{label}: {_summary(wf)}"
    print(f"  {case.name} {label}: {_timings(wf)}")
    outcome.images.append(_outputs(wf, "build-env")["image"])
    number = _outputs(wf, "register")["model-version"]
    outcome.versions.append(number)
    deadline = time.monotonic() + 120
    while _champion(mlflow, case.name) != number and time.monotonic() < deadline:
        time.sleep(2)
    assert _champion(mlflow, case.name) == number, f"{label}: v{number} did not become the champion"
    rollout = client.objects.get("Rollout", NAMESPACE, case.name)
    outcome.stable.append(str(rollout["status"].get("stableModel", "")))


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest,
    stack: tuple[Path, StackClient],
    tmp_path_factory: pytest.TempPathFactory,
    mlflow_server: str,
) -> dict[str, Outcome]:
    """Both rounds for the repositories on one stack, pushed at once; each repository's outcome.

    Only the repositories whose tests run (`-k wine` runs one).
    """
    home, client = stack
    root = tmp_path_factory.mktemp("repos")
    chosen = {
        item.callspec.id
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.module is request.module and hasattr(item, "callspec")
    }
    cases = [case for case in CASES if case.name in chosen] or CASES
    results = {case.name: Outcome() for case in cases}
    repos: dict[str, tuple[Path, str]] = {}
    for case in cases:
        try:
            repos[case.name] = _prepare(case, root, home)
        except AssertionError as e:
            results[case.name].error = f"setting up: {e}"
    for label in ("weak", "strong"):
        shas: dict[str, str] = {}
        for case in cases:
            if case.name in repos and not results[case.name].error:
                repo, config = repos[case.name]
                try:
                    shas[case.name] = _push(repo, config, label, case.weak if label == "weak" else case.strong)
                except AssertionError as e:
                    results[case.name].error = f"{label} push: {e}"
        finished = _finish(client, shas)
        for case in cases:
            if case.name in shas:
                try:
                    _check_round(client, mlflow_server, label, case, finished.get(case.name), results[case.name])
                except AssertionError as e:
                    results[case.name].error = str(e)
    return results


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_model_repository_goes_from_push_to_promoted_canary(
    stack: tuple[Path, StackClient], outcomes: dict[str, Outcome], case: Case
) -> None:
    _, client = stack
    outcome = outcomes[case.name]
    assert not outcome.error, f"{case.name}: {outcome.error}"
    assert len(outcome.versions) == 2 and outcome.versions[1] != outcome.versions[0]
    for image in outcome.images:  # trained in its own environment, named as an image
        assert image.startswith(f"sluicegate.local/envs/{case.name}@sha256:"), image
    for number, stable in zip(outcome.versions, outcome.stable, strict=True):
        assert stable.endswith(f"/{number}"), f"the Rollout serves {stable}, not v{number}"
    runs = [r for r in client.objects.list("AnalysisRun", NAMESPACE) if case.name in r["metadata"]["name"]]
    assert any((r.get("status") or {}).get("phase") == "Successful" for r in runs), "the canary was analysed"
