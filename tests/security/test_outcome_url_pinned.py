"""The exit handler posts its record, with the `workflow-events` bearer token, only to the stack's own EventSource.

A submitter's `notify-url` argument used to decide where the record and the token went; the URL is now
fixed by the template (the EventSource's Service, which the local engine maps to the stack's listener).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import workflows
from sluicegate.engine.testing import LocalEngine
from sluicegate.secrets import SecretStore

Received = list[tuple[str, str, bytes]]  # (path, Authorization, body)


class _Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received: Received

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append((self.path, self.headers.get("Authorization", ""), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sinks() -> Iterator[tuple[tuple[str, Received], tuple[str, Received]]]:
    """Two recording servers: `(url, received)` of the stack's EventSource and of a stranger."""
    servers, out = [], []
    for _ in range(2):
        received: Received = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), type("Sink", (_Sink,), {"received": received}))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        out.append((f"http://127.0.0.1:{server.server_address[1]}", received))
    try:
        yield out[0], out[1]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def _exit_handler() -> tuple[dict[str, object], list[dict[str, str]]]:
    (pipeline,) = [d for d in workflows.manifests() if d["metadata"]["name"] == "model-pipeline"]
    record = copy.deepcopy(next(t for t in pipeline["spec"]["templates"] if t["name"] == pipeline["spec"]["onExit"]))
    del record["retryStrategy"]
    declared = pipeline["spec"]["arguments"]["parameters"]
    arguments = [{**p, "value": ""} if p["name"] == "mlflow-tracking-uri" else p for p in declared]
    return record, arguments


def test_exit_handler_url_is_fixed_by_the_template() -> None:
    for doc in workflows.manifests():
        if doc["kind"] != "WorkflowTemplate" or "onExit" not in doc["spec"]:
            continue
        names = {p["name"] for p in doc["spec"]["arguments"]["parameters"]}
        assert "notify-url" not in names, doc["metadata"]["name"]
        handler = next(t for t in doc["spec"]["templates"] if t["name"] == doc["spec"]["onExit"])
        env = {e["name"]: e.get("value") for e in handler["script"]["env"]}
        assert env["NOTIFY_URL"] == workflows._record.NOTIFY_URL
        assert "{{" not in env["NOTIFY_URL"]


def test_exit_handler_ignores_a_submitted_notify_url(
    tmp_path: Path, sinks: tuple[tuple[str, Received], tuple[str, Received]]
) -> None:
    (own, to_stack), (stranger, to_stranger) = sinks
    record, arguments = _exit_handler()
    arguments = [*arguments, {"name": "notify-url", "value": f"{stranger}/steal"}]
    with LocalEngine(tmp_path / "home") as eng:
        # The stack's workflow-events EventSource, as `sluice up` publishes it, and its Secret.
        (eng.home / "endpoints.json").write_text(
            json.dumps({"eventsources": {"workflow-events/outcome": f"{own}/workflow-outcome"}})
        )
        SecretStore(eng.home).set("workflow-events-auth", "token", "outcome-secret")
        wf = eng.submit(
            {
                "metadata": {"generateName": "pinned-", "namespace": "sluicegate"},
                "spec": {"entrypoint": "record-outcome", "arguments": {"parameters": arguments}, "templates": [record]},
            }
        )
        done = eng.wait(wf, timeout=60)
    assert done["status"]["phase"] == "Succeeded", done["status"].get("message")
    assert to_stranger == []
    ((path, auth, body),) = to_stack
    assert path == "/workflow-outcome" and auth == "Bearer outcome-secret"
    assert json.loads(body)["workflow"] == done["metadata"]["name"]
