"""Every API request needs the stack's bearer token; errors come back in Argo's body."""

from __future__ import annotations

import httpx
import pytest
from hera.exceptions import Unauthorized
from hera.workflows import WorkflowsService


def test_request_without_token_is_401_with_argo_error_body(api) -> None:
    resp = httpx.get(f"{api.url}/api/v1/workflow-templates/sluicegate")
    assert resp.status_code == 401
    body = resp.json()
    assert body["code"] == 16
    assert "Authorization" in body["message"]


def test_request_with_wrong_token_is_401(api) -> None:
    with api.client(token="not-it") as c:
        resp = c.get("/api/v1/version")
    assert resp.status_code == 401
    assert "not this stack's token" in resp.json()["message"]


def test_hera_without_token_raises_unauthorized(api) -> None:
    svc = WorkflowsService(host=api.url, namespace="sluicegate")
    with pytest.raises(Unauthorized):
        svc.list_workflow_templates()


def test_hera_with_token_reads_version_info_and_userinfo(api) -> None:
    svc = WorkflowsService(host=api.url, token=api.token, namespace="sluicegate")
    assert svc.get_version().version.startswith("v4.")
    assert svc.get_info().managed_namespace == ""
    assert svc.get_user_info().subject == "sluice"


def test_healthz_is_open_without_token(api) -> None:
    assert httpx.get(f"{api.url}/healthz").status_code == 200


def test_unknown_api_path_is_404_not_5xx(api) -> None:
    with api.client() as c:
        resp = c.get("/api/v1/nothing-here")
    assert resp.status_code == 404
    assert resp.json()["code"] == 5


def test_wrong_method_is_405_with_argo_error_body(api) -> None:
    with api.client() as c:
        resp = c.patch("/api/v1/version")
    assert resp.status_code == 405
    assert "PATCH /api/v1/version" in resp.json()["message"]
