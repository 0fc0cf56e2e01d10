"""The rendered pipeline runs on the local engine: model-pipeline end to end, then a rejected candidate.

Real parts throughout: the embedded workflow controller, a real MLflow server, a git repository made
from the sample project, the real components. The Rollout the deploy step patches is a stored object
with a Healthy status; the Rollout controller is not part of this test, so a small observer does the one
thing of its job the deploy step waits for: `status.observedGeneration` follows `metadata.generation`.
"""

from __future__ import annotations

import copy
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workflows
from sluicegate.engine.testing import LocalEngine
from sluicegate.secrets import SecretStore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODEL = "engine-e2e"


def _templates() -> list[dict[str, Any]]:
    return [copy.deepcopy(d) for d in workflows.manifests() if d["kind"] == "WorkflowTemplate"]


@pytest.fixture
def repo(tmp_path: Path) -> tuple[str, str]:
    """A git repository holding the sample project's params.yaml; `(path, commit SHA)`."""
    path = tmp_path / "model-repo"
    path.mkdir()
    (path / "params.yaml").write_text((ROOT / "components" / "sample_project" / "params.yaml").read_text())
    git = ["git", "-C", str(path), "-c", "user.email=test@example.com", "-c", "user.name=test"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run([*git, "add", "params.yaml"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "baseline"], check=True)
    sha = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    return str(path), sha


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[LocalEngine]:
    with LocalEngine(tmp_path / "home") as eng:
        for doc in _templates():
            eng.store.apply(doc)
        eng.store.apply(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Rollout",
                "metadata": {"name": MODEL, "namespace": "sluicegate"},
                "spec": {"template": {"metadata": {"annotations": {}}}},
                "status": {"phase": "Healthy", "observedGeneration": "1"},
            }
        )
        stop = threading.Event()
        observer = threading.Thread(target=_observe_generation, args=(eng, stop), daemon=True)
        observer.start()
        try:
            yield eng
        finally:
            stop.set()
            observer.join(timeout=5)


def _observe_generation(eng: LocalEngine, stop: threading.Event) -> None:
    """What every controller does first: record that it has seen the Rollout's current spec (and its revision,
    here 10 x the generation so that a test can tell the two apart)."""

    def observed(doc: dict[str, Any]) -> dict[str, Any]:
        generation = int(doc["metadata"]["generation"])
        doc["metadata"].setdefault("annotations", {})["rollout.argoproj.io/revision"] = str(10 * generation)
        doc["status"] = {**doc.get("status", {}), "observedGeneration": str(generation)}
        return doc

    since = eng.store.head()
    while not stop.is_set():
        for change in eng.store.wait(since, 0.5, kinds=("Rollout",)):
            since = change.seq
        eng.store.mutate("Rollout", "sluicegate", MODEL, observed)


def _submit(eng: LocalEngine, template: str, params: dict[str, str]) -> dict[str, Any]:
    wf = eng.submit(
        {
            "metadata": {"generateName": f"{template}-", "namespace": "sluicegate"},
            "spec": {
                "workflowTemplateRef": {"name": template},
                "arguments": {"parameters": [{"name": k, "value": v} for k, v in params.items()]},
            },
        }
    )
    return eng.wait(wf, timeout=240)


def _nodes(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        n["displayName"]: n for n in wf["status"]["nodes"].values() if n["type"] in ("Retry", "DAG", "Steps", "Skipped")
    }


def _outputs(node: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p.get("value", "") for p in (node.get("outputs") or {}).get("parameters") or []}


def test_model_pipeline_trains_promotes_and_patches_the_rollout(
    engine: LocalEngine, repo: tuple[str, str], mlflow_server: str, http_sink: tuple[str, list[bytes]]
) -> None:
    url, received = http_sink
    # The exit handler posts to the workflow-events EventSource's Service: here the sink stands for it, as the
    # stack publishes its EventSources in endpoints.json, with the Secret that the EventSource checks.
    (engine.home / "endpoints.json").write_text(
        json.dumps({"eventsources": {"workflow-events/outcome": f"{url}/workflow-outcome"}})
    )
    SecretStore(engine.home).set("workflow-events-auth", "token", "outcome-token")
    common = {"model-name": MODEL, "mlflow-tracking-uri": mlflow_server, "build-target": "local"}
    wf = _submit(
        engine,
        "model-pipeline",
        {
            **common,
            "git-repo": repo[0],
            "git-revision": repo[1],
            # No service-url: the stress-test step serves the candidate itself.
            "stress-duration-seconds": "1",
        },
    )
    assert wf["status"]["phase"] == "Succeeded", json.dumps(wf["status"], indent=1)[:4000]
    nodes = _nodes(wf)
    version = _outputs(nodes["train"])["model-version"]
    assert _outputs(nodes["evaluate"])["decision"] == "promote"
    assert _outputs(nodes["build"])["bundle-digest"].startswith("sha256:")
    report = json.loads(_outputs(nodes["stress-test"])["report"])
    assert report["passed"] is True and report["requests"] > 0
    assert report["url"].startswith("http://127.0.0.1:")  # the candidate, served inside the step
    assert nodes["deploy"]["phase"] == "Succeeded"
    rollout = engine.store.get("Rollout", "sluicegate", MODEL)
    annotations = rollout["spec"]["template"]["metadata"]["annotations"]
    assert annotations["sluicegate.io/model-uri"] == f"models:/{MODEL}/{version}"
    # Lineage both ways: the Rollout names the version and the workflow; the version names the Rollout.
    own = rollout["metadata"]["annotations"]
    assert own["sluicegate.io/model-version"] == version and own["sluicegate.io/model-name"] == MODEL
    assert own["sluicegate.io/deployed-by-workflow"] == wf["metadata"]["name"]
    from mlflow import MlflowClient

    tags = MlflowClient(mlflow_server).get_model_version(MODEL, version).tags
    assert tags["argo.rollout"] == f"sluicegate/{MODEL}"
    assert tags["argo.rollout.generation"] == str(rollout["metadata"]["generation"])
    assert tags["argo.rollout.revision"] == own["rollout.argoproj.io/revision"]  # the revision its controller gave
    assert tags["argo.rollout.workflow"] == tags["argo.workflow"] == wf["metadata"]["name"]
    assert tags["git.revision"] == repo[1]
    # The exit handler posted the outcome record to the workflow-events EventSource.
    records = [json.loads(b) for b in received]
    assert [r["status"] for r in records] == ["Succeeded"]
    assert records[0]["parameters"]["git-revision"] == repo[1]
    assert records[0]["parameters"]["model-version"] == version
    assert records[0]["decision"] == "promote" and records[0]["metrics"]

    # The Rollout controller marks the promoted version champion; evaluating it again must reject it,
    # which skips build and leaves stress-test and deploy out, and the workflow still succeeds.
    MlflowClient(mlflow_server).set_registered_model_alias(MODEL, "champion", version)
    again = _submit(engine, "evaluate-and-deploy", {**common, "model-version": version})
    assert again["status"]["phase"] == "Succeeded"
    phases = {name: node["phase"] for name, node in _nodes(again).items()}
    assert _outputs(_nodes(again)["evaluate"])["decision"] == "reject"
    assert phases["build"] == "Skipped"
    assert phases["stress-test"] == phases["deploy"] == "Omitted"


def test_engine_runs_a_step_with_an_empty_dir_at_tmp(tmp_path: Path) -> None:
    # The read-only root filesystem needs the emptyDir at /tmp; the engine's private /tmp must stay usable.
    (pipeline,) = [d for d in _templates() if d["metadata"]["name"] == "model-pipeline"]
    record = next(t for t in pipeline["spec"]["templates"] if t["name"] == "record-outcome")
    assert record["script"]["volumeMounts"] == [{"mountPath": "/tmp", "name": "tmp"}]
    del record["retryStrategy"]  # fail fast: the point is the first attempt
    arguments = copy.deepcopy(pipeline["spec"]["arguments"])
    for p in arguments["parameters"]:
        if p["name"] == "mlflow-tracking-uri":
            p["value"] = ""
    with LocalEngine(tmp_path / "home") as eng:
        wf = eng.submit(
            {
                "metadata": {"generateName": "tmp-mount-", "namespace": "sluicegate"},
                "spec": {
                    "entrypoint": "record-outcome",
                    "arguments": arguments,
                    "templates": [record],
                },
            }
        )
        done = eng.wait(wf, timeout=60)
        (node,) = [n for n in done["status"]["nodes"].values() if n["type"] == "Pod"]
        log = (eng.home / "logs" / "sluicegate" / done["metadata"]["name"] / f"{node['id']}.log").read_text()
    assert done["status"]["phase"] == "Succeeded", done["status"].get("message")
    record = json.loads(log.splitlines()[0])  # run as the entrypoint, not as an exit handler: still Running
    assert record["workflow"] == done["metadata"]["name"] and record["status"] == "Running"
