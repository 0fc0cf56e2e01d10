"""The UI's change stream through the stack's real API server (listener guard, bearer middleware): events arrive
as they happen, only for a signed-in browser, and only of the kinds asked for."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from tests.ui.behind_api import stack_context, ui_behind_api

TOKEN = "live-token"


def _workflow(name: str) -> dict[str, object]:
    meta = {"name": name, "namespace": "sluicegate"}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta, "spec": {}}


def test_live_stream_sends_changes_of_the_asked_kinds_to_a_signed_in_page(tmp_path: Path) -> None:
    ctx = stack_context(tmp_path, TOKEN)
    store = ctx.store
    try:
        with ui_behind_api(ctx) as (client, _):
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
        store.close()
