"""The http trigger against a real local server: the trigger's `policy.status.allow`, and what the request carries.

As in Argo Events, the policy sits on the trigger beside its template (`triggers[].policy.status.allow`): an
answer whose status is listed succeeds, any other fails the trigger. secureHeaders take their values from a
Secret or a ConfigMap key (one trailing newline dropped), dynamicHeaders from the event, basicAuth from
Secrets, and `http.parameters` rewrite the http section itself (`dest: url`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.events._sensor_harness import NS, SensorHarness, harnessed


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[SensorHarness]:
    yield from harnessed(tmp_path)


def _call(harness: SensorHarness, url: str, allow: list[int] | None = None, **http: Any) -> dict[str, Any]:
    """Apply a Sensor whose one http trigger calls `url` with `policy.status.allow`; send one event."""
    trigger: dict[str, Any] = {"template": {"name": "call", "http": {"url": url, "payload": [], **http}}}
    if allow is not None:
        trigger["policy"] = {"status": {"allow": allow}}
    harness.apply_sensor([trigger])
    return harness.outcome(harness.send({"n": 1, "path": "/from-the-event"}), "call")


@pytest.mark.parametrize(
    ("status", "allow", "phase"),
    [(404, [200, 404], "Succeeded"), (500, [500], "Succeeded"), (201, [200], "Failed"), (200, [], "Failed")],
)
def test_only_a_status_in_the_allow_list_succeeds(
    harness: SensorHarness, status: int, allow: list[int], phase: str
) -> None:
    harness.server.status = status
    outcome = _call(harness, harness.server.url + "/hook", allow)
    assert outcome["phase"] == phase
    assert len(harness.server.requests) == 1
    if phase == "Succeeded":
        assert outcome["message"].endswith(f"-> {status}")
    else:
        assert f"http response status {status} is not allowed" in outcome["message"]


def test_secure_headers_are_read_from_a_secret_and_a_config_map(harness: SensorHarness) -> None:
    harness.secrets.set("api-auth", "token", "Bearer s3cret\n")
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tenant", "namespace": NS}}
    harness.store.apply({**config, "data": {"id": "acme"}})
    secure = [
        {"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "api-auth", "key": "token"}}},
        {"name": "X-Tenant", "valueFrom": {"configMapKeyRef": {"name": "tenant", "key": "id"}}},
    ]
    outcome = _call(harness, harness.server.url + "/hook", headers={"X-Plain": "p"}, secureHeaders=secure)
    assert outcome["phase"] == "Succeeded"
    [request] = harness.server.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert (headers["authorization"], headers["x-tenant"], headers["x-plain"]) == ("Bearer s3cret", "acme", "p")


def _secure(ref: dict[str, Any]) -> dict[str, Any]:
    return {"secureHeaders": [{"name": "Authorization", "valueFrom": ref}]}


@pytest.mark.parametrize(
    ("http", "why"),
    [
        (_secure({"secretKeyRef": {"name": "absent", "key": "token"}}), "sluice secret set absent token"),
        (_secure({"configMapKeyRef": {"name": "absent", "key": "id"}}), "ConfigMap sluicegate/absent has no key 'id'"),
        (_secure({}), "needs valueFrom.secretKeyRef or valueFrom.configMapKeyRef"),
        ({"tls": {"insecureSkipVerify": True}}, "http.tls: client TLS settings are not supported locally"),
    ],
)
def test_a_request_that_cannot_be_made_as_written_fails_before_calling(
    harness: SensorHarness, http: dict[str, Any], why: str
) -> None:
    outcome = _call(harness, harness.server.url, **http)
    assert outcome["phase"] == "Failed"
    assert why in outcome["message"]
    assert harness.server.requests == []


def test_http_parameters_dynamic_headers_and_basic_auth_come_from_the_event_and_secrets(
    harness: SensorHarness,
) -> None:
    harness.secrets.set("hook-user", "name", "ada")
    harness.secrets.set("hook-user", "password", "pa:ss\n")
    http: dict[str, Any] = {
        "parameters": [
            {"src": {"dependencyName": "dep", "dataKey": "body.path"}, "dest": "url", "operation": "append"}
        ],
        "dynamicHeaders": [{"src": {"dependencyName": "dep", "dataKey": "body.n"}, "dest": "X-Count"}],
        "basicAuth": {
            "username": {"name": "hook-user", "key": "name"},
            "password": {"name": "hook-user", "key": "password"},
        },
    }
    outcome = _call(harness, harness.server.url, **http)
    assert outcome["phase"] == "Succeeded"
    [request] = harness.server.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert request["path"] == "/from-the-event"
    assert headers["x-count"] == "1"
    assert headers["authorization"] == "Basic " + base64.b64encode(b"ada:pa:ss").decode()


def test_the_policy_stays_with_its_trigger_when_a_trigger_parameter_renames_the_template(
    harness: SensorHarness,
) -> None:
    harness.server.status = 500
    rename = {"src": {"dependencyName": "dep", "dataKey": "body.name"}, "dest": "name"}
    trigger = {
        "template": {"name": "call", "http": {"url": harness.server.url + "/hook", "payload": []}},
        "parameters": [rename],
        "policy": {"status": {"allow": [500]}},
    }
    harness.apply_sensor([trigger])
    outcome = harness.outcome(harness.send({"name": "renamed-by-the-event"}), "call")
    assert outcome["phase"] == "Succeeded", outcome["message"]
    assert outcome["message"].endswith("-> 500")


@pytest.mark.parametrize(
    ("payload", "body"),
    [
        ([], b""),  # no payload parameters: an empty body, as Argo Events sends it
        (
            [
                {"src": {"dependencyName": "dep", "dataKey": "body.n"}, "dest": "count"},
                {"src": {"dependencyName": "dep", "value": "fixed"}, "dest": "meta.note"},
            ],
            b'{"count":"1","meta":{"note":"fixed"}}',
        ),
        (  # an empty dest: the value itself is the whole body
            [
                {"src": {"dependencyName": "dep", "dataKey": "body.n"}, "dest": "count"},
                {"src": {"dependencyName": "dep", "dataKey": "body"}, "dest": ""},
            ],
            b'{"n":1,"path":"/from-the-event"}',
        ),
    ],
)
def test_the_body_is_what_the_payload_parameters_build_with_no_content_type_added(
    harness: SensorHarness, payload: list[dict[str, Any]], body: bytes
) -> None:
    outcome = _call(harness, harness.server.url + "/hook", payload=payload)
    assert outcome["phase"] == "Succeeded"
    [request] = harness.server.requests
    assert request["body"] == body
    assert "content-type" not in {k.lower() for k in request["headers"]}
