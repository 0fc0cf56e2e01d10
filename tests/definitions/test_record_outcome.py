"""The exit handler's script, run for real with the environment Argo would give it."""

from __future__ import annotations

import json
import subprocess
import sys

import workflows


def _script() -> tuple[str, dict[str, str]]:
    doc = next(d for d in workflows.manifests() if d["metadata"]["name"] == "model-pipeline")
    template = next(t for t in doc["spec"]["templates"] if t["name"] == doc["spec"]["onExit"])
    env = {e["name"]: e["value"] for e in template["script"]["env"] if "value" in e}  # not the secretKeyRefs
    return template["script"]["source"], env


def _run(source: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", source], env=env, capture_output=True, text=True, timeout=30)


def test_record_outcome_reads_the_workflow_variables() -> None:
    _, env = _script()
    assert env["WORKFLOW_STATUS"] == "{{workflow.status}}"
    assert env["WORKFLOW_FAILURES"] == "{{workflow.failures}}"
    assert env["P_GIT_REVISION"] == "{{workflow.parameters.git-revision}}"


def test_record_outcome_prints_one_json_line_with_failures() -> None:
    source, _ = _script()
    failures = [{"displayName": "train", "message": "exit code 1", "templateName": "train", "phase": "Failed"}]
    out = _run(
        source,
        {
            "WORKFLOW_NAME": "model-pipeline-abcde",
            "WORKFLOW_NAMESPACE": "sluicegate",
            "WORKFLOW_STATUS": "Failed",
            "WORKFLOW_FAILURES": json.dumps(failures),
            "P_GIT_REVISION": "0123abc",
            "NOTIFY_URL": "",
        },
    )
    assert out.returncode == 0, out.stderr
    (line,) = out.stdout.splitlines()
    record = json.loads(line)
    assert record["status"] == "Failed" and record["failures"] == failures
    assert record["parameters"] == {"git-revision": "0123abc"}


def test_record_outcome_reason_is_the_first_one_line_failure_without_argos_prefix() -> None:
    source, _ = _script()
    failures = [
        {"displayName": "run-entry-point", "message": "main: Error (exit code 1): Traceback\n  ...\nValueError: x"},
        {"displayName": "register", "message": "main: Error (exit code 2): MLproject: entry_points.main: failed; see"},
    ]
    out = _run(source, {"WORKFLOW_STATUS": "Failed", "WORKFLOW_FAILURES": json.dumps(failures)})
    assert json.loads(out.stdout)["reason"] == "register: MLproject: entry_points.main: failed; see"
    only_traceback = failures[:1]
    out = _run(source, {"WORKFLOW_STATUS": "Failed", "WORKFLOW_FAILURES": json.dumps(only_traceback)})
    assert json.loads(out.stdout)["reason"] == "run-entry-point: ValueError: x"
    out = _run(source, {"WORKFLOW_STATUS": "Succeeded", "WORKFLOW_FAILURES": "[]"})
    assert "reason" not in json.loads(out.stdout)


def test_record_outcome_survives_absent_failures() -> None:
    source, _ = _script()
    out = _run(source, {"WORKFLOW_STATUS": "Succeeded", "WORKFLOW_FAILURES": "null"})
    assert out.returncode == 0 and json.loads(out.stdout)["failures"] == []


def test_record_outcome_posts_to_the_event_source_with_its_token(http_sink: tuple[str, list[bytes]]) -> None:
    # NOTIFY_URL is fixed by the template (the EventSource's Service); here it stands for that Service.
    url, received = http_sink
    source, _ = _script()
    env = {"WORKFLOW_STATUS": "Succeeded", "WORKFLOW_FAILURES": "[]", "NOTIFY_URL": url + "/outcome"}
    out = _run(source, {**env, "NOTIFY_TOKEN": "t"})
    assert out.returncode == 0, out.stderr
    assert [json.loads(b)["status"] for b in received] == ["Succeeded"]


def test_record_outcome_posts_nothing_without_the_event_source_secret(http_sink: tuple[str, list[bytes]]) -> None:
    url, received = http_sink
    source, _ = _script()
    out = _run(source, {"WORKFLOW_STATUS": "Succeeded", "WORKFLOW_FAILURES": "[]", "NOTIFY_URL": url + "/outcome"})
    assert out.returncode == 0, out.stderr
    assert received == []


def test_record_outcome_warns_but_succeeds_when_the_event_source_is_down() -> None:
    source, _ = _script()
    env = {"WORKFLOW_STATUS": "Succeeded", "NOTIFY_URL": "http://127.0.0.1:9/nowhere", "NOTIFY_TOKEN": "t"}
    out = _run(source, env)
    assert out.returncode == 0
    assert "could not POST" in out.stderr


def _version_made_by(mlflow_server: str, model: str, workflow: str) -> tuple[str, str]:
    """A run with a metric and a model version tagged like the train component tags them; (version, run id)."""
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server)
    experiment = client.create_experiment(f"{model}-experiment")
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, "f1", 0.93)
    client.set_terminated(run.info.run_id)
    client.create_registered_model(model)
    version = client.create_model_version(
        model, f"{run.info.artifact_uri}/model", run_id=run.info.run_id, tags={"argo.workflow": workflow}
    )
    client.set_model_version_tag(model, version.version, "evaluate.decision", "promote")
    judged = client.create_run(experiment)
    client.set_terminated(judged.info.run_id)
    client.set_model_version_tag(model, version.version, "evaluate.run-id", judged.info.run_id)
    return version.version, run.info.run_id


def test_record_outcome_adds_the_model_version_the_workflow_made(mlflow_server: str) -> None:
    source, _ = _script()
    version, run_id = _version_made_by(mlflow_server, "record-outcome-model", "model-pipeline-rec01")
    out = _run(
        source,
        {
            "WORKFLOW_NAME": "model-pipeline-rec01",
            "WORKFLOW_STATUS": "Succeeded",
            "P_MODEL_NAME": "record-outcome-model",
            "P_MLFLOW_TRACKING_URI": mlflow_server,
        },
    )
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["parameters"]["model-version"] == version
    assert record["decision"] == "promote"
    assert record["metrics"] == {"f1": 0.93}
    assert record["run_url"].endswith(f"/runs/{run_id}")
    assert record["report_url"].endswith("/artifacts/evaluation/report.html")
    assert f"/runs/{run_id}/" not in record["report_url"]  # the evaluation's run, not the training run


def test_record_outcome_warns_when_mlflow_is_down() -> None:
    source, _ = _script()
    env = {"WORKFLOW_STATUS": "Failed", "P_MODEL_NAME": "m", "P_MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}
    out = _run(source, env)
    assert out.returncode == 0
    assert json.loads(out.stdout)["status"] == "Failed"
    assert "could not read the model version from MLflow" in out.stderr
