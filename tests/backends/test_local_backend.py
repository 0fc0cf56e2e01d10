"""LocalBackend and the workflow commands against the local stack's real API (no mocks)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sluicegate.backends import ArgoServer, LocalBackend
from sluicegate.config import Settings
from sluicegate.errors import NotFoundError, ServiceError
from sluicegate.manifests import rendered_documents

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def backend(local_api):
    return LocalBackend.from_settings(Settings(home=local_api.home))


@pytest.fixture(scope="module")
def deployed(backend):
    return backend.apply(rendered_documents(REPO / "manifests"))


def test_apply_creates_every_rendered_manifest_in_order(deployed):
    assert deployed, "nothing applied"
    assert {a.action for a in deployed} == {"created"}
    kinds = [a.kind for a in deployed]
    assert kinds.index("WorkflowTemplate") < kinds.index("Sensor")
    assert kinds[-1] == "CronWorkflow"


def test_apply_again_is_unchanged(backend, deployed):
    again = backend.apply(rendered_documents(REPO / "manifests"))
    assert {a.action for a in again} == {"unchanged"}


def test_apply_dry_run_reports_a_change_without_storing_it(backend, deployed, local_api):
    docs = rendered_documents(REPO / "manifests")
    sa = next(d for d in docs if d["kind"] == "ServiceAccount")
    changed = {**sa, "metadata": {**sa["metadata"], "labels": {"team": "blue"}}}
    [result] = backend.apply([changed], dry_run=True)
    assert result.action == "configured"
    stored = local_api.store.get("ServiceAccount", result.namespace, result.name)
    assert "team" not in (stored["metadata"].get("labels") or {})


def test_submit_get_list_through_hera(backend, deployed):
    wf = backend.submit("train", {"dataset": "wine", "model-name": "wine"})
    name = wf.metadata.name
    assert name and name.startswith("train-")
    got = backend.get(name)
    assert got.metadata.name == name
    assert got.status is not None and got.status.phase in {"Pending", "Running", "Succeeded", "Failed", "Error"}
    params = {p.name: p.value for p in got.spec.arguments.parameters or []}
    assert params.get("dataset") == "wine"
    assert name in [w.metadata.name for w in backend.list()]


def test_get_missing_workflow_is_not_found(backend):
    with pytest.raises(NotFoundError, match="no-such-workflow"):
        backend.get("no-such-workflow")


def test_submit_unknown_template_names_it(backend):
    with pytest.raises(Exception, match="no-such-template"):
        backend.submit("no-such-template", {})


def test_wrong_token_is_refused(local_api):
    argo = ArgoServer(local_api.url, "wrong-token")
    with pytest.raises(Exception, match="token"):
        argo.list()


def test_unreachable_server_is_one_service_error():
    with pytest.raises(ServiceError, match="cannot reach"):
        ArgoServer("http://127.0.0.1:1").list()


def test_no_running_stack_says_how_to_start_one(tmp_path):
    with pytest.raises(ServiceError, match="sluice up"):
        LocalBackend.from_settings(Settings(home=tmp_path))


def _sluice(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "sluicegate", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_cli_submit_then_list_and_get(local_api, deployed):
    submitted = _sluice(local_api.home, "submit", "train", "-p", "dataset=digits", "-p", "model-name=digits")
    assert submitted.returncode == 0, submitted.stderr
    name = submitted.stdout.strip()
    assert name.startswith("train-")
    listed = _sluice(local_api.home, "list")
    assert listed.returncode == 0, listed.stderr
    assert name in listed.stdout
    shown = _sluice(local_api.home, "get", name)
    assert shown.returncode == 0, shown.stderr
    assert f"Name:      {name}" in shown.stdout


def test_cli_submit_bad_parameter_is_one_line(local_api):
    result = _sluice(local_api.home, "submit", "train", "-p", "dataset")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: -p/--parameter: expected parameter of the form: NAME=VALUE. Received: 'dataset';"
        " write -p model-name=wine"
    ]


def test_cli_server_option_talks_to_any_argo_server(local_api, deployed, tmp_path):
    # an empty SLUICE_HOME: only --server/--token tell where the Argo Server is
    result = _sluice(tmp_path, "list", "--server", local_api.url, "--token", local_api.token)
    assert result.returncode == 0, result.stderr
    assert "NAME" in result.stdout
