"""Fixtures of the events tests: a temp store with the project's events manifests, the running runtime."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import events
from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.eventing import EventsPart
from sluicegate.part import StackContext
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

GITHUB_SECRET = "s3cret-for-tests"
#: Bearer tokens of the `mlflow` and `workflow-events` EventSources (their authSecrets) in these tests.
MLFLOW_TOKEN = "relay-token-for-tests"
OUTCOME_TOKEN = "exit-handler-token-for-tests"


def bearer(token: str) -> dict[str, str]:
    """The Authorization header an authSecret-protected EventSource wants."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Runtime:
    """A started events part over a temp store."""

    part: EventsPart
    ctx: StackContext

    @property
    def store(self) -> Store:
        return self.ctx.store

    def url(self, source: str, event: str) -> str:
        return self.part.url_of(source, event)

    def workflows(self, template: str = "") -> list[dict[str, Any]]:
        wfs = self.store.list("Workflow")
        if template:
            wfs = [w for w in wfs if w["spec"].get("workflowTemplateRef", {}).get("name") == template]
        return wfs


def sensor(
    name: str, dependencies: list[dict[str, Any]], triggers: list[dict[str, Any]], namespace: str = "sluicegate"
) -> dict[str, Any]:
    """A Sensor document of a test's own: its dependencies and triggers, as Argo Events spells them."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Sensor",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"dependencies": dependencies, "triggers": triggers},
    }


def only_sensor(rt: Runtime, doc: dict[str, Any]) -> None:
    """Apply `doc` as the one Sensor of its namespace (the project's own Sensors are deleted first)."""
    namespace = doc["metadata"]["namespace"]
    for other in rt.store.list("Sensor", namespace):
        rt.store.delete("Sensor", namespace, other["metadata"]["name"])
    rt.store.apply(doc)


def sign(body: bytes, secret: str = GITHUB_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def push_payload(
    after: str = "a" * 40,
    ref: str = "refs/heads/main",
    modified: list[str] | None = None,
    added: list[str] | None = None,
    removed: list[str] | None = None,
    deleted: bool = False,
) -> dict[str, Any]:
    commit = {
        "id": after,
        "message": "tune params",
        "added": added or [],
        "modified": ["params.yaml"] if modified is None else modified,
        "removed": removed or [],
    }
    return {
        "ref": ref,
        "before": "0" * 40,
        "after": "0" * 40 if deleted else after,
        "created": False,
        "deleted": deleted,
        "forced": False,
        "repository": {
            "name": "models",
            "full_name": "acme/models",
            "clone_url": "https://github.com/acme/models.git",
            "default_branch": "main",
        },
        "pusher": {"name": "ada"},
        "commits": [] if deleted else [commit],
        "head_commit": None if deleted else commit,
    }


def post_github(
    url: str, payload: Any, event: str = "push", delivery: str | None = None, secret: str | None = GITHUB_SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(body, secret)
    return httpx.post(url, content=body, headers=headers, timeout=30)


def wait_processed(rt: Runtime, timeout: float = 20.0) -> None:
    """Wait until no event is Pending."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [e for e in rt.store.list("Event") if e["status"]["phase"] == "Pending"]:
            return
        time.sleep(0.05)
    raise AssertionError("events still pending")


def make_context(home: Path, endpoints: dict[str, Any] | None = None) -> StackContext:
    store = Store(home / "store.db")
    secrets = SecretStore(home)
    secrets.set("github-webhook", "secret", GITHUB_SECRET)
    secrets.set(*events.MLFLOW_AUTH_SECRET, MLFLOW_TOKEN)
    secrets.set(*events.OUTCOME_AUTH_SECRET, OUTCOME_TOKEN)
    for doc in events.manifests():
        if doc["kind"] in ("EventSource", "Sensor", "EventBus"):
            store.apply(doc)
    return StackContext(
        settings=Settings(home=home), store=store, secrets=secrets, token="t", endpoints=dict(endpoints or {})
    )


@contextmanager
def behind_api(home: Path) -> Iterator[Runtime]:
    """The events part behind a real API server, named in `home`'s endpoints.json and token for the CLI."""
    made = make_context(home)
    ctx = StackContext(made.settings.model_copy(update={"api_port": 0}), made.store, made.secrets, token="t")
    part = EventsPart(port_map={events.GITHUB_PORT: 0, events.MLFLOW_PORT: 0, events.OUTCOME_PORT: 0}, relay=False)
    api = ApiServer()
    api.attach([part])
    part.start(ctx)
    url = api.start(ctx)["api"]
    (home / "endpoints.json").write_text(json.dumps({"api": url, "mlflow": "http://127.0.0.1:1"}))
    (home / "token").write_text(ctx.token)
    try:
        yield Runtime(part, ctx)
    finally:
        api.stop()
        part.stop()
        ctx.store.close()


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """The events part over a temp store holding the project's EventSources and Sensors (no relay)."""
    ctx = make_context(tmp_path / "home")
    part = EventsPart(port_map={events.GITHUB_PORT: 0, events.MLFLOW_PORT: 0, events.OUTCOME_PORT: 0}, relay=False)
    part.start(ctx)
    try:
        yield Runtime(part, ctx)
    finally:
        part.stop()
        ctx.store.close()


class Recorder:
    """A local HTTP server that records every request and answers with a fixed status and JSON body.

    Stands in for Slack's servers and for an EventSource that the relay posts to.
    """

    def __init__(self, status: int = 200, reply: dict[str, Any] | None = None) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[dict[str, Any]] = []
        self.status = status
        self.reply = reply if reply is not None else {"ok": True}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                recorder.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                data = json.dumps(recorder.reply).encode()
                self.send_response(recorder.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._srv.server_address[1]}"
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)
        self._thread.start()

    def json_bodies(self) -> list[Any]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A recording HTTP server (stopped after the test)."""
    rec = Recorder()
    try:
        yield rec
    finally:
        rec.close()


def wait_for(predicate: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll `predicate()` until it returns something truthy; fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
