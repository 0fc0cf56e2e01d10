"""The client's object, status and event calls, how it finds the stack, and its one error mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluicegate.client import StackClient, connect
from sluicegate.config import Settings
from sluicegate.errors import ConfigError, ManifestError, NotFoundError, ServiceError

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "colours", "namespace": "sluicegate"}}


def test_apply_reports_created_then_unchanged_then_configured(client: StackClient) -> None:
    doc = {**CONFIGMAP, "data": {"sky": "blue"}}
    assert client.objects.apply(doc)[0] == "created"
    assert client.objects.apply(doc)[0] == "unchanged"
    action, stored = client.objects.apply({**doc, "data": {"sky": "grey"}})
    assert action == "configured" and stored["data"] == {"sky": "grey"}
    assert client.objects.get("ConfigMap", "sluicegate", "colours")["data"] == {"sky": "grey"}
    assert "colours" in [d["metadata"]["name"] for d in client.objects.list("ConfigMap", "sluicegate")]
    client.objects.delete("ConfigMap", "sluicegate", "colours")
    assert client.objects.find("ConfigMap", "sluicegate", "colours") is None


def test_invalid_document_is_a_manifest_error_naming_the_field(client: StackClient) -> None:
    bad = {"kind": "WorkflowTemplate", "metadata": {"namespace": "sluicegate"}, "spec": {}}
    with pytest.raises(ManifestError, match=r"metadata\.name"):
        client.objects.apply(bad)


def test_status_lists_the_parts_and_their_health(client: StackClient) -> None:
    parts = client.status()
    assert parts["api"]["healthy"] is True and "controller" in " ".join(parts)


def test_missing_event_is_not_found_with_how_to_list(client: StackClient) -> None:
    with pytest.raises(NotFoundError):
        client.events.get("sluicegate", "no-such-event")


def test_wrong_token_is_a_config_error_naming_the_token(client: StackClient) -> None:
    stranger = StackClient(client.url, "not-the-token")
    with pytest.raises(ConfigError, match="token"):
        stranger.objects.list("ConfigMap", "sluicegate")
    with pytest.raises(ConfigError, match="token"):
        stranger.workflows.list()


def test_unreachable_stack_is_one_service_error_saying_how_to_start_it() -> None:
    with pytest.raises(ServiceError, match="sluice up"):
        StackClient("http://127.0.0.1:1", "t").status()


def test_connect_reads_the_url_and_token_of_sluice_home(home: Path) -> None:
    found = connect(Settings(home=home))
    assert found.token == "client-token-1" and found.url.startswith("http://127.0.0.1:")
    assert found.endpoints is not None and found.endpoints.mlflow == "http://127.0.0.1:1"


def test_connect_without_a_stack_or_token_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="sluice up"):
        connect(Settings(home=tmp_path))
    (tmp_path / "endpoints.json").write_text('{"api": "http://127.0.0.1:1", "mlflow": "http://127.0.0.1:1"}')
    with pytest.raises(ServiceError, match="no token"):
        connect(Settings(home=tmp_path))
