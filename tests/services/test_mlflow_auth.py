"""The local MLflow runs MLflow's basic-auth app: nobody without the generated credentials reads or registers."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import uuid

import httpx
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from components._common import MlflowRest as StepRest
from components._common import MlflowRestError as StepRestError
from components.relay._mlflow import MlflowError, MlflowRest
from sluicegate.services import MlflowServer


def _signed_in(monkeypatch: pytest.MonkeyPatch, server: MlflowServer) -> None:
    assert server.credentials is not None
    for key, value in server.credentials.client_env().items():
        monkeypatch.setenv(key, value)


def test_credentials_are_generated_private_and_stable(mlflow_auth_server: MlflowServer) -> None:
    creds = mlflow_auth_server.credentials
    assert creds is not None and creds.username == "admin" and len(creds.password) >= 24
    assert stat.S_IMODE(creds.path.stat().st_mode) == 0o600
    assert json.loads(creds.path.read_text())["password"] == creds.password
    again = MlflowServer(mlflow_auth_server.home, auth=True).credentials  # a restart keeps the same user
    assert again is not None and again.password == creds.password


def test_a_request_without_credentials_registers_nothing(mlflow_auth_server: MlflowServer) -> None:
    url = mlflow_auth_server.url
    name = f"intruder-{uuid.uuid4().hex[:8]}"
    forged = httpx.post(f"{url}/api/2.0/mlflow/registered-models/create", json={"name": name})
    assert forged.status_code == 401
    wrong = httpx.get(f"{url}/api/2.0/mlflow/registered-models/search", auth=("admin", "guess"))
    assert wrong.status_code == 401
    assert httpx.get(f"{url}/health").status_code == 200  # the health check stays open
    with pytest.raises(MlflowException):
        MlflowClient(url, registry_uri=url).search_registered_models()


def test_clients_with_the_credentials_work(mlflow_auth_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = mlflow_auth_server.url
    _signed_in(monkeypatch, mlflow_auth_server)
    client = MlflowClient(url, registry_uri=url)  # not the registry a global tracking URI names
    name = f"signed-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    run = client.create_run(client.get_experiment_by_name("Default").experiment_id, tags={"argo.workflow": "wf-1"})
    client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    rest = MlflowRest(url)  # the relay: reads runs and registers its webhook (an admin's right)
    try:
        assert rest.model_version(name, "1")["run_id"] == run.info.run_id
        assert rest.ensure_webhook("sluicegate-test", "http://127.0.0.1:9/webhook", "s3cret")
    finally:
        rest.close()
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    anonymous = MlflowRest(url)
    try:
        with pytest.raises(MlflowError, match="401"):
            anonymous.model_version(name, "1")
    finally:
        anonymous.close()


def test_exit_handler_reads_the_model_version_with_the_credentials(
    mlflow_auth_server: MlflowServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflows._record import SOURCE

    _signed_in(monkeypatch, mlflow_auth_server)
    client = MlflowClient(mlflow_auth_server.url, registry_uri=mlflow_auth_server.url)
    name = f"recorded-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    run = client.create_run(client.get_experiment_by_name("Default").experiment_id)
    client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    assert mlflow_auth_server.credentials is not None
    env = {
        "PATH": "/usr/bin:/bin",
        "WORKFLOW_NAME": "evaluate-and-deploy-a1",
        "WORKFLOW_STATUS": "Succeeded",
        "P_MLFLOW_TRACKING_URI": mlflow_auth_server.url,
        "P_MODEL_NAME": name,
        "P_MODEL_VERSION": "1",
        **mlflow_auth_server.credentials.client_env(),
    }
    out = subprocess.run([sys.executable, "-c", SOURCE], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "warning" not in out.stderr, out.stderr
    assert json.loads(out.stdout)["run_url"].endswith(run.info.run_id)


def test_steps_rest_client_without_credentials_is_refused(
    mlflow_auth_server: MlflowServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    url = mlflow_auth_server.url
    with StepRest(url) as anonymous, pytest.raises(StepRestError) as refused:
        anonymous.experiment_id(f"anonymous-{uuid.uuid4().hex[:8]}")
    assert "failed with error code 401 != 200" in refused.value.message
    _signed_in(monkeypatch, mlflow_auth_server)
    with StepRest(url) as signed_in:
        experiment_id = signed_in.experiment_id(f"signed-in-{uuid.uuid4().hex[:8]}")
        assert signed_in.create_run(experiment_id, {"k": "v"}).info.status == "RUNNING"


def test_a_changed_password_is_refused_at_once_despite_the_credential_cache(mlflow_auth_server: MlflowServer) -> None:
    """The stack's MLflow caches checked credentials (scrypt per request kept it busy); a change still applies now."""
    assert "auth_cache_ttl_seconds = 60" in (mlflow_auth_server.home / "basic_auth.ini").read_text()
    creds = mlflow_auth_server.credentials
    assert creds is not None
    api, admin = f"{mlflow_auth_server.url}/api/2.0/mlflow", (creds.username, creds.password)
    user, old, new = f"ana-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, uuid.uuid4().hex
    assert httpx.post(f"{api}/users/create", json={"username": user, "password": old}, auth=admin).status_code == 200
    as_old = httpx.get(f"{api}/users/current", auth=(user, old))  # checked once, then cached
    assert as_old.status_code == 200, as_old.text
    assert httpx.get(f"{api}/users/current", auth=(user, old)).status_code == 200
    changed = httpx.patch(f"{api}/users/update-password", json={"username": user, "password": new}, auth=admin)
    assert changed.status_code == 200, changed.text
    assert httpx.get(f"{api}/users/current", auth=(user, old)).status_code == 401
    assert httpx.get(f"{api}/users/current", auth=(user, new)).status_code == 200
