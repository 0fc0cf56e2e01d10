"""The UI checks its cookie before any work: same 303 for existing and missing names, logout, a cookie per port."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sluicegate.part import StackContext
from sluicegate.store import Store
from tests.ui.behind_api import stack_context, ui_behind_api

TOKEN = "ui-token"


@pytest.fixture
def ui(ui_stack: tuple[httpx.Client, Store, Path, StackContext]) -> tuple[httpx.Client, Store, Path]:
    return ui_stack[:3]


@pytest.fixture
def ui_stack(tmp_path: Path) -> Iterator[tuple[httpx.Client, Store, Path, StackContext]]:
    ctx = stack_context(tmp_path, TOKEN)
    with ui_behind_api(ctx) as (client, _):
        ctx.store.create(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {"name": "exists", "namespace": "sluicegate"},
                "spec": {},
                "status": {
                    "phase": "Succeeded",
                    "nodes": {"exists": {"id": "exists", "name": "exists", "type": "Pod"}},
                },
            }
        )
        yield client, ctx.store, tmp_path, ctx


def _port(client: httpx.Client) -> int:
    return int(str(client.base_url).rstrip("/").rsplit(":", 1)[1])


def _sign_in(client: httpx.Client) -> None:
    r = client.post("/ui/login", data={"token": TOKEN})
    assert r.status_code == 303


def test_unsigned_requests_get_the_same_redirect_whether_the_name_exists_or_not(ui) -> None:
    client, _, home = ui
    big = home / "logs" / "sluicegate" / "exists" / "exists.log"
    big.parent.mkdir(parents=True)
    big.write_bytes(b"x" * 1024)
    for path in (
        "/ui/workflows/sluicegate/exists",
        "/ui/workflows/sluicegate/missing",
        "/ui/workflows/sluicegate/exists/nodes/exists",
        "/ui/workflows/sluicegate/missing/nodes/nope",
        "/ui/workflows/sluicegate/exists/nodes/exists/output/a",
        "/ui/rollouts/sluicegate/missing",
        "/ui/events",
    ):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login"), path


def test_signed_in_missing_name_is_404_and_braces_are_not_a_500(ui) -> None:
    client, _, _ = ui
    _sign_in(client)
    assert client.get("/ui/workflows/sluicegate/exists").status_code == 200
    assert client.get("/ui/workflows/sluicegate/missing").status_code == 404
    assert client.get("/ui/workflows/sluicegate/{0}").status_code == 404
    assert client.get("/ui/workflows/sluicegate/exists/nodes/exists").status_code == 200


def test_node_page_shows_only_the_tail_of_a_big_log(ui) -> None:
    client, _, home = ui
    log = home / "logs" / "sluicegate" / "exists" / "exists.log"
    log.parent.mkdir(parents=True)
    log.write_bytes(b"old\n" * 200_000 + b"the-last-line\n")
    _sign_in(client)
    page = client.get("/ui/workflows/sluicegate/exists/nodes/exists").text
    assert "the-last-line" in page and len(page) < 400_000


def test_cookie_is_named_by_port_and_logout_clears_it(ui) -> None:
    client, _, _ = ui
    r = client.post("/ui/login", data={"token": TOKEN})
    cookie, name = r.headers["set-cookie"], f"sluice_token_{_port(client)}"
    assert cookie.startswith(f"{name}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/ui/workflows").status_code == 200
    out = client.get("/ui/logout")
    assert out.status_code == 303 and out.headers["set-cookie"].startswith(f'{name}=""')
    assert client.get("/ui/workflows").status_code == 303


def test_sign_in_page_shows_nothing_of_the_stack(ui_stack) -> None:
    client, _, _, ctx = ui_stack
    ctx.endpoints["mlflow"] = "http://127.0.0.1:5999"
    ctx.endpoints["mlflow_sign_in"] = "user sluice, password in SLUICE_HOME/mlflow/credentials"
    for page in (client.get("/ui/login"), client.post("/ui/login", data={"token": "wrong"})):
        assert "5999" not in page.text and "mlflow/credentials" not in page.text and "sluice," not in page.text
    _sign_in(client)
    signed_in = client.get("/ui/workflows").text
    assert "http://127.0.0.1:5999" in signed_in and "mlflow/credentials" in signed_in


def test_every_page_reads_the_store_off_the_event_loop(ui) -> None:
    client, store, _ = ui
    store.create(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "model", "namespace": "sluicegate"},
            "spec": {},
            "status": {"phase": "Healthy"},
        }
    )
    on_loop: list[str] = []
    for method in ("list", "get", "try_get"):
        real = getattr(store, method)

        def watched(*args: object, _real=real, _method=method, **kwargs: object) -> object:
            try:
                asyncio.get_running_loop()
                on_loop.append(f"{_method}{args}")
            except RuntimeError:
                pass  # a worker thread: no event loop runs here
            return _real(*args, **kwargs)

        setattr(store, method, watched)
    _sign_in(client)
    for path in (
        "/ui/workflows",
        "/ui/workflows/sluicegate/exists",
        "/ui/workflows/sluicegate/exists/nodes/exists",
        "/ui/workflows/sluicegate/exists/nodes/exists/output/a",
        "/ui/events",
        "/ui/rollouts",
        "/ui/rollouts/sluicegate/model",
        "/ui/rollouts/sluicegate/missing",
    ):
        assert client.get(path).status_code in (200, 404), path
    assert on_loop == []
