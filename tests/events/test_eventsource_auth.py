"""Every EventSource that can start work authenticates its sender, with Argo Events' `authSecret` semantics."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import httpx

import events
from tests.events.conftest import MLFLOW_TOKEN, OUTCOME_TOKEN, Runtime, bearer, wait_processed

# What another local user (or a web page, when its Host and Origin pass) could send: no credentials, text/plain.
_FORGED_VERSION = {
    "name": "breast-cancer",
    "version": "7",
    "run_id": "0" * 32,
    "tracking_uri": "http://attacker.example:5000",
    "produced_by_pipeline": False,
    "evaluate_tagged": True,
    "registered_after_run": True,
}
_BROWSER = {"Content-Type": "text/plain"}


def test_forged_model_version_event_without_the_token_starts_nothing(runtime: Runtime) -> None:
    url = runtime.url("mlflow", "model-version-created")
    for headers in (_BROWSER, {**_BROWSER, **bearer("guess")}, {"Authorization": MLFLOW_TOKEN}):
        r = httpx.post(url, content=json.dumps(_FORGED_VERSION), headers=headers)
        assert r.status_code == 401, r.text
    assert runtime.store.list("Event") == []  # nothing journaled, so no Sensor ever sees it
    assert runtime.workflows() == []


def test_forged_outcome_without_the_token_posts_nothing(runtime: Runtime) -> None:
    r = httpx.post(runtime.url("workflow-events", "outcome"), content=b'{"status": "Failed"}', headers=_BROWSER)
    assert r.status_code == 401
    assert runtime.store.list("Event") == []


def test_event_naming_another_mlflow_cannot_choose_where_the_model_is_loaded_from(runtime: Runtime) -> None:
    r = httpx.post(runtime.url("mlflow", "model-version-created"), json=_FORGED_VERSION, headers=bearer(MLFLOW_TOKEN))
    assert r.status_code == 200
    wait_processed(runtime)
    [wf] = runtime.workflows("evaluate-and-deploy")
    args = {p["name"]: p["value"] for p in wf["spec"]["arguments"]["parameters"]}
    assert args == {"model-name": "breast-cancer", "model-version": "7"}  # the template pins mlflow-tracking-uri
    assert "attacker" not in json.dumps(wf)


def test_auth_answers_are_argo_events_own(runtime: Runtime) -> None:
    url = runtime.url("workflow-events", "outcome")
    no_scheme = httpx.post(url, json={"status": "x"}, headers={"Authorization": f"Token {OUTCOME_TOKEN}"})
    assert (no_scheme.status_code, no_scheme.text.strip()) == (401, "Invalid Authorization Header")
    wrong = httpx.post(url, json={"status": "x"}, headers=bearer(OUTCOME_TOKEN + "x"))
    assert (wrong.status_code, wrong.text.strip()) == (401, "Invalid Auth token")
    # the token is checked before the method and before the body is read
    assert httpx.get(url).status_code == 401
    # a Secret written by an editor ends in a newline; Argo Events drops it
    runtime.ctx.secrets.set(*events.OUTCOME_AUTH_SECRET, OUTCOME_TOKEN + "\n")
    assert httpx.post(url, json={"status": "ok"}, headers=bearer(OUTCOME_TOKEN)).status_code == 200


def test_unauthenticated_huge_declared_body_is_refused_without_reading_it(runtime: Runtime) -> None:
    parts = urlsplit(runtime.url("mlflow", "run-finished"))
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: 10737418240\r\n\r\n".encode())
        reply = s.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 401"), reply


def test_missing_auth_secret_is_argo_events_500_and_nothing_stored(runtime: Runtime) -> None:
    path = runtime.ctx.secrets.path  # as if the Secret had been deleted
    path.write_text(json.dumps({k: v for k, v in json.loads(path.read_text()).items() if k != "mlflow-events-auth"}))
    r = httpx.post(runtime.url("mlflow", "run-finished"), json={}, headers=bearer(MLFLOW_TOKEN))
    assert (r.status_code, r.text.strip()) == (500, "Error loading auth token")
    assert runtime.store.list("Event") == []


def test_exit_handler_sends_its_token_and_without_it_sends_nothing(runtime: Runtime) -> None:
    from workflows._record import SOURCE

    base = {"WORKFLOW_NAME": "evaluate-and-deploy-x1", "WORKFLOW_STATUS": "Succeeded", "PATH": "/usr/bin:/bin"}
    base["NOTIFY_URL"] = runtime.url("workflow-events", "outcome")
    refused = subprocess.run([sys.executable, "-c", SOURCE], env=base, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 0  # without the Secret there is no one to tell: not a failed handler
    assert runtime.store.list("Event") == []
    sent = subprocess.run(
        [sys.executable, "-c", SOURCE], env={**base, "NOTIFY_TOKEN": OUTCOME_TOKEN}, capture_output=True, timeout=60
    )
    assert sent.returncode == 0
    [event] = runtime.store.list("Event")
    assert event["spec"]["data"]["body"]["workflow"] == "evaluate-and-deploy-x1"
