"""`sluice up --detach`, `status`, `apply`, `secret set`, `down` as a user runs them: real subprocesses."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import httpx
import pytest

from sluicegate.stack._state import alive
from tests.stack.conftest import TEMPLATE, without_args
from tests.stack.conftest import run_sluice as sluice

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path):
    home = tmp_path / "home"
    yield home
    sluice(home, "down")  # never leave a stack behind, whatever the test did


def test_up_detach_starts_mlflow_and_api_then_down_stops_everything(home: Path) -> None:
    up = sluice(home, "up", "--detach", "--port", "0", "--mlflow-port", "0", *without_args())
    assert up.returncode == 0, up.stderr + up.stdout
    endpoints = json.loads((home / "endpoints.json").read_text())
    assert "api" in up.stdout and endpoints["api"] in up.stdout
    pids = json.loads((home / "stack.pid").read_text())
    assert pids["pid"] == endpoints["pid"] and pids["groups"]  # the MLflow server (and others) it started
    assert all(alive(*g) for g in pids["groups"])
    assert httpx.get(f"{endpoints['mlflow']}/health", timeout=5).status_code == 200
    status = sluice(home, "status")
    assert status.returncode == 0, status.stderr
    assert "mlflow" in status.stdout and "healthy" in status.stdout
    # its MLflow runs with authentication; the generated credentials are private and `status` says where
    search = f"{endpoints['mlflow']}/api/2.0/mlflow/registered-models/search"
    assert httpx.get(search, timeout=10).status_code == 401
    creds = json.loads((home / "mlflow" / "credentials.json").read_text())
    assert (home / "mlflow" / "credentials.json").stat().st_mode & 0o077 == 0
    assert httpx.get(search, auth=(creds["username"], creds["password"]), timeout=10).status_code == 200
    assert "sign_in=user admin" in status.stdout.replace("\n", "")
    assert endpoints["mlflow_sign_in"].startswith("user admin, password in ")
    secrets = json.loads((home / "secrets.json").read_text())
    assert secrets["mlflow-auth"] == {"username": "admin", "password": creds["password"]}  # what steps read
    again = sluice(home, "up", "--detach", "--port", "0", "--mlflow-port", "0", *without_args())
    assert again.returncode == 1 and "already running" in again.stderr
    down = sluice(home, "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    assert not alive(endpoints["pid"]) and not any(alive(*g) for g in pids["groups"])
    assert not (home / "endpoints.json").exists()
    assert "no stack was running" in sluice(home, "down").stdout
    assert sluice(home, "status").returncode == 1


def test_apply_and_secret_against_a_detached_stack(home: Path, mlflow_server: str) -> None:
    up = sluice(home, "up", "--detach", "--port", "0", "--mlflow-tracking-uri", mlflow_server, *without_args())
    assert up.returncode == 0, up.stderr + up.stdout
    links = [line.split("open the UI: ", 1)[1].strip() for line in up.stdout.splitlines() if "open the UI: " in line]
    assert len(links) == 1
    signed_in = httpx.get(links[0], follow_redirects=False, timeout=10)
    assert signed_in.status_code == 303 and signed_in.cookies
    manifests = home.parent / "m"
    manifests.mkdir()
    (manifests / "t.yaml").write_text(TEMPLATE)
    first = sluice(home, "apply", str(manifests))
    assert first.returncode == 0, first.stderr
    assert "WorkflowTemplate/hello created" in first.stdout
    assert "WorkflowTemplate/hello unchanged" in sluice(home, "apply", str(manifests / "t.yaml")).stdout
    (manifests / "t.yaml").write_text(TEMPLATE.replace("echo, hi", "echo, bye"))
    assert "WorkflowTemplate/hello configured" in sluice(home, "apply", str(manifests)).stdout
    (manifests / "t.yaml").write_text(TEMPLATE.replace("entrypoint: main", "entrypoint: nope"))
    bad = sluice(home, "apply", str(manifests))
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and "t.yaml#0" in bad.stderr and "spec.entrypoint" in bad.stderr

    assert sluice(home, "secret", "set", "slack", "token", "xoxb-1").returncode == 0
    secrets = home / "secrets.json"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert json.loads(secrets.read_text())["slack"] == {"token": "xoxb-1"}


def test_status_without_a_stack_says_how_to_start_one(home: Path) -> None:
    result = sluice(home, "status")
    assert result.returncode == 1
    assert "sluice up --detach" in result.stderr


def test_up_without_an_unknown_part_fails_before_starting(home: Path) -> None:
    result = sluice(home, "up", "--detach", "--without", "nonsense")
    assert result.returncode == 1
    assert "--without" in result.stderr and "nonsense" in result.stderr
    assert not (home / "stack.pid").exists()


def test_up_on_a_taken_port_fails_naming_the_port(home: Path, mlflow_server: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = sluice(
            home, "up", "--detach", "--port", str(port), "--mlflow-tracking-uri", mlflow_server, *without_args()
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert not (home / "stack.pid").exists()


def test_up_on_a_taken_mlflow_port_fails_before_starting_mlflow(home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = sluice(home, "up", "--detach", "--port", "0", "--mlflow-port", str(port), *without_args())
    assert result.returncode == 1
    assert f"127.0.0.1:{port} is taken" in result.stderr and "--mlflow-port" in result.stderr, result.stderr
    assert not (home / "mlflow").exists()  # MLflow was never started: the clash is reported up front
    assert not (home / "stack.pid").exists()
