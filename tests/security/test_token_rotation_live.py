"""`sluice token rotate` takes effect on a running stack: the old token and UI sign-ins stop working, no restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sluicegate.api import ApiServer
from sluicegate.cli import app
from tests.ui.behind_api import stack_context, ui_behind_api

OLD = "token-before-rotation"


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[httpx.Client, ApiServer, Path]]:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path))
    (tmp_path / "token").write_text(OLD + "\n")
    with ui_behind_api(stack_context(tmp_path, OLD)) as (client, api):
        yield client, api, tmp_path


def _api(client: httpx.Client, token: str) -> int:
    return client.get("/api/v1/workflows/sluicegate", headers={"Authorization": f"Bearer {token}"}).status_code


def test_rotated_token_replaces_the_old_one_without_a_restart(stack) -> None:
    client, api, home = stack
    assert client.post("/ui/login", data={"token": OLD}).status_code == 303
    assert client.get("/ui/workflows").status_code == 200 and _api(client, OLD) == 200

    result = CliRunner().invoke(app, ["token", "rotate"])
    assert result.exit_code == 0, result.output
    new = (home / "token").read_text().strip()

    deadline = time.monotonic() + 10
    while _api(client, OLD) != 401 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _api(client, OLD) == 401
    assert _api(client, new) == 200
    signed_out = client.get("/ui/workflows")  # the cookie still carries the old token
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/ui/login")
    assert client.post("/ui/login", data={"token": OLD}).status_code == 401
    assert client.post("/ui/login", data={"token": new}).status_code == 303
    assert client.get("/ui/workflows").status_code == 200
    assert api.status()["tokenRotations"] == 1
