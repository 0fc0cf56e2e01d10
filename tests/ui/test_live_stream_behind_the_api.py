"""The UI's change stream through the stack's real API server (listener guard, bearer middleware): events arrive
as they happen, only for a signed-in browser, and only of the kinds asked for."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.secrets import SecretStore
from sluicegate.stack import StackContext
from sluicegate.store import Store
from sluicegate.ui import UiPart

TOKEN = "live-token"


def _workflow(name: str) -> dict[str, object]:
    meta = {"name": name, "namespace": "sluicegate"}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta, "spec": {}}


def test_live_stream_sends_changes_of_the_asked_kinds_to_a_signed_in_page(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    ctx = StackContext(Settings(home=tmp_path, api_port=0), store, SecretStore(tmp_path), TOKEN)
    part, api = UiPart(), ApiServer()
    api.attach([part])
    ctx.endpoints.update(api.start(ctx))
    part.start(ctx)
    try:
        with httpx.Client(base_url=api.url, follow_redirects=False, timeout=30) as client:
            assert client.get("/ui/live?kinds=Workflow").status_code == 303  # not signed in: no stream
            assert client.get(f"/ui/login?token={TOKEN}").status_code == 303
            with client.stream("GET", "/ui/live?kinds=Workflow") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.iter_lines()
                assert next(lines) == "retry: 2000"  # the stream is open before anything changed

                def change() -> None:
                    store.create({**_workflow("ignored"), "kind": "Sensor", "apiVersion": "argoproj.io/v1alpha1"})
                    store.create(_workflow("seen"))

                threading.Timer(0.5, change).start()
                data = next(line for line in lines if line.startswith("data: "))
        event = json.loads(data.removeprefix("data: "))
        assert event == {"kind": "Workflow", "namespace": "sluicegate", "name": "seen", "type": "ADDED"}
    finally:
        api.stop()
        store.close()
