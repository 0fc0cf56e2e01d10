"""The supervisor in-process: state folder, token, start-up apply, parts in order, clean stop."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.errors import ConfigError, ServiceError
from sluicegate.stack import Stack, StackContext, stack_parts
from sluicegate.stack._mlflow import MlflowPart
from tests.stack.conftest import TEMPLATE, left_out


class Broken:
    """A part whose start fails, to see the supervisor undo what it started."""

    name = "broken"

    def start(self, ctx: StackContext) -> dict[str, Any]:
        raise RuntimeError("cannot start on purpose")

    def stop(self) -> None:
        pass

    def status(self) -> dict[str, Any]:
        return {"healthy": False}

    def routes(self) -> list:
        return []


def _settings(home: Path, mlflow: str) -> Settings:
    return Settings(home=home, api_port=0, mlflow_tracking_uri=mlflow)


def test_stack_start_writes_state_and_applies_manifests(tmp_path: Path, mlflow_server: str) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "hello.yaml").write_text(TEMPLATE)
    home = tmp_path / "home"
    with Stack(_settings(home, mlflow_server), manifests=manifests, without=left_out()) as stack:
        endpoints = json.loads((home / "endpoints.json").read_text())
        token = (home / "token").read_text().strip()
        assert endpoints["mlflow"] == mlflow_server
        assert endpoints["api"] == stack.endpoints["api"]
        assert stat.S_IMODE((home / "token").stat().st_mode) == 0o600
        assert stack.applied == [("WorkflowTemplate/hello", "created")]
        headers = {"Authorization": f"Bearer {token}"}
        got = httpx.get(f"{endpoints['api']}/api/v1/workflow-templates/sluicegate/hello", headers=headers)
        assert got.status_code == 200
        parts = httpx.get(f"{endpoints['api']}/api/v1/sluice/status", headers=headers).json()["parts"]
        assert parts["mlflow"] == {"healthy": True, "url": mlflow_server, "external": True}
        assert (home / "logs").is_dir() and (home / "artifacts").is_dir()
    assert not (home / "endpoints.json").exists()
    assert not (home / "stack.pid").exists()
    with Stack(_settings(home, mlflow_server), manifests=manifests, without=left_out()) as again:
        assert again.applied == [("WorkflowTemplate/hello", "unchanged")]
        assert again.token == token  # the token survives restarts


def test_stack_part_failure_stops_started_parts_and_names_the_part(tmp_path: Path, mlflow_server: str) -> None:
    api = ApiServer()
    stack = Stack(_settings(tmp_path, mlflow_server), parts=[MlflowPart(), api, Broken()])
    with pytest.raises(ServiceError, match=r"part 'broken'.*cannot start on purpose"):
        stack.start()
    assert api.status()["healthy"] is False  # stopped again
    assert not (tmp_path / "endpoints.json").exists()


def test_stack_parts_registry_starts_mlflow_then_api() -> None:
    names = [p.name for p in stack_parts()]
    assert names[:2] == ["mlflow", "api"]
    assert len(names) == len(set(names))


def test_stack_invalid_manifest_fails_start_with_file_and_field(tmp_path: Path, mlflow_server: str) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "bad.yaml").write_text(TEMPLATE.replace("entrypoint: main", "entrypoint: nope"))
    stack = Stack(_settings(tmp_path / "home", mlflow_server), manifests=manifests, without=left_out())
    with pytest.raises(Exception, match=r"bad\.yaml#0.*spec\.entrypoint"):
        stack.start()


def test_stack_without_leaves_out_optional_parts_only(tmp_path: Path, mlflow_server: str) -> None:
    optional = [p.name for p in stack_parts() if p.name not in ("mlflow", "api")]
    assert optional, "the registry has optional parts"
    with Stack(_settings(tmp_path / "home", mlflow_server), without=frozenset({optional[-1]})) as stack:
        assert optional[-1] not in stack.status()
        assert set(stack.status()) >= {"mlflow", "api"}
    with pytest.raises(ConfigError, match="--without"):
        Stack(_settings(tmp_path / "home", mlflow_server), without=frozenset({"api"}))
