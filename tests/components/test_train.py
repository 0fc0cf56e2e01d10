"""`train` against a real MLflow server: lineage, outputs, failure semantics, the fault-injecting model."""

from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from components._common import UserError, load_dataset
from components.train import FAULT_MESSAGE, load_params, train
from tests.components.conftest import SAMPLE, run_component
from tests.conftest import mlflow_pointed_at


def test_train_cli_registers_version_with_lineage(mlflow_server: str, model_name: str, tmp_path: Path) -> None:
    out = run_component(
        "train",
        "--model-name", model_name,
        "--tracking-uri", mlflow_server,
        "--params-file", str(SAMPLE / "params.yaml"),
        "--git-repo", "file:///srv/git/model.git",
        "--git-revision", "0123456789abcdef",
        "--workflow", "model-pipeline-abc12",
        "--outputs-dir", str(tmp_path),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    outputs = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert set(outputs) == {"run-id", "model-uri", "model-version", "metrics"}
    assert outputs["model-uri"] == f"models:/{model_name}/{outputs['model-version']}"

    client = MlflowClient(mlflow_server)
    version = client.get_model_version(model_name, outputs["model-version"])
    assert version.run_id == outputs["run-id"]
    for tags in (version.tags, client.get_run(version.run_id).data.tags):
        assert tags["git.repo"] == "file:///srv/git/model.git"
        assert tags["git.revision"] == "0123456789abcdef"
        assert tags["argo.workflow"] == "model-pipeline-abc12"
    run = client.get_run(outputs["run-id"])
    assert run.info.status == "FINISHED"
    assert run.data.params["model.C"] == "0.003" and run.data.params["dataset"] == "breast_cancer"
    assert {"accuracy", "f1", "roc_auc"} <= set(run.data.metrics)
    with mlflow_pointed_at(mlflow_server):
        info = mlflow.models.get_model_info(outputs["model-uri"])
    assert info.signature is not None and info.saved_input_example_info is not None


def test_train_failure_after_registration_leaves_run_failed_and_no_version(
    mlflow_server: str, model_name: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(UserError, match="cannot write outputs"):
        train(load_params(None), model_name=model_name, tracking_uri=mlflow_server, outputs_dir=blocker / "out")
    client = MlflowClient(mlflow_server)
    assert client.search_model_versions(f"name='{model_name}'") == []
    assert client.search_registered_models(f"name='{model_name}'") == []
    experiment = client.get_experiment_by_name(model_name)
    runs = client.search_runs([experiment.experiment_id])
    assert [r.info.status for r in runs] == ["FAILED"]


def test_train_fault_model_raises_on_its_share_of_calls(mlflow_server: str, model_name: str) -> None:
    params = load_params(None, ["fault.error_rate=0.5"])
    result = train(params, model_name=model_name, tracking_uri=mlflow_server)
    with mlflow_pointed_at(mlflow_server):
        model = mlflow.pyfunc.load_model(result.model_uri)
    assert set(model.metadata.flavors) == {"python_function"}  # no sklearn fast path around the fault
    X = load_dataset("breast_cancer").X.head(3)
    outcomes = []
    for _ in range(6):
        try:
            outcomes.append(len(model.predict(X)))
        except RuntimeError as e:
            outcomes.append(str(e))
    assert outcomes == [3, FAULT_MESSAGE] * 3
    version = MlflowClient(mlflow_server).get_model_version(model_name, result.model_version)
    assert '"error_rate":0.5' in version.tags["sluicegate.fault"]


def test_train_sigterm_marks_run_failed_and_registers_nothing(mlflow_server: str, model_name: str) -> None:
    """Argo stops a step with SIGTERM; the run must not stay RUNNING and no version may appear."""
    import signal
    import subprocess
    import sys
    import time

    from tests.components.conftest import ROOT

    proc = subprocess.Popen(
        [
            sys.executable, "-m", "components.train", "--model-name", model_name, "--tracking-uri", mlflow_server,
            "--dataset", "digits", "--set", "model.type=random_forest", "--set", "model.n_estimators=2000",
            "--outputs-dir", "/nonexistent/never-written",
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    client = MlflowClient(mlflow_server)
    try:
        running = []
        for _ in range(600):  # wait (up to ~60 s) until the run exists; the 2000-tree fit then keeps it busy
            experiment = client.get_experiment_by_name(model_name)
            running = client.search_runs([experiment.experiment_id]) if experiment else []
            if running or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert running, proc.communicate()[1]
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, stderr
    assert (
        stderr.strip().splitlines()[-1]
        == "components.train: terminated (SIGTERM); its MLflow run, if any, is marked FAILED"
    )
    assert client.get_run(running[0].info.run_id).info.status == "FAILED"
    assert client.search_model_versions(f"name='{model_name}'") == []


def test_sigterm_while_the_run_is_being_created_still_leaves_it_failed(
    mlflow_server: str, model_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM after the server created the run but before MLflow made it active: the run ends FAILED.

    `mlflow.start_run` creates the run, then pushes it as the active run; a step terminated in between left
    a run no `with` block would end, RUNNING for ever (seen under load with `components.train`). The signal
    is sent to the process, which has other threads (as a step with MLflow's has): any of them may take it.
    """
    import os
    import signal

    from components._common import Terminated, run_started
    from components._common._sigterm import install_sigterm_handler

    created = MlflowClient.create_run

    def create_then_terminated(self: MlflowClient, *args: object, **kwargs: object) -> object:
        run = created(self, *args, **kwargs)  # type: ignore[arg-type]
        os.kill(os.getpid(), signal.SIGTERM)  # the step's stop arrives now, while start_run is still at work
        return run

    monkeypatch.setattr(MlflowClient, "create_run", create_then_terminated)
    previous = signal.getsignal(signal.SIGTERM)
    install_sigterm_handler()  # the handler every component CLI runs with
    try:
        with (
            mlflow_pointed_at(mlflow_server, model_name) as experiment_id,
            pytest.raises(Terminated),
            run_started("train-local", {"sluicegate.step": "train"}),
        ):
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    runs = MlflowClient(mlflow_server).search_runs([str(experiment_id)])
    assert [run.info.status for run in runs] == ["FAILED"]
