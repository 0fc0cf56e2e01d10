"""The UI's change stream through the stack's real API server (listener guard, bearer middleware): events arrive
as they happen, only for a signed-in browser, and only of the kinds asked for."""

from __future__ import annotations

import json
import re
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


def _first_event(stream: object) -> tuple[str, dict[str, object]]:
    """(id, data) of the first change event of an open stream."""
    event_id = ""
    for line in stream.iter_lines():  # type: ignore[attr-defined]
        if line.startswith("id: "):
            event_id = line.removeprefix("id: ")
        elif line.startswith("data: "):
            return event_id, json.loads(line.removeprefix("data: "))
    raise AssertionError("the stream ended without an event")


def test_a_change_between_the_page_and_its_stream_still_reaches_the_page(tmp_path: Path) -> None:
    ctx = stack_context(tmp_path, TOKEN)
    store = ctx.store
    try:
        with ui_behind_api(ctx) as (client, _):
            assert client.get(f"/ui/login?token={TOKEN}").status_code == 303
            page = client.get("/ui/workflows").text
            [since] = re.findall(r'data-since="(\d+)"', page)
            store.create(_workflow("between"))  # after the page was rendered, before its stream opened
            with client.stream("GET", f"/ui/live?kinds=Workflow&since={since}") as stream:
                event_id, event = _first_event(stream)
            assert event["name"] == "between"
            # a reconnecting browser sends the last id it got: it resumes after it, without the old change again
            with client.stream("GET", "/ui/live?kinds=Workflow", headers={"Last-Event-ID": event_id}) as stream:
                threading.Timer(0.3, lambda: store.create(_workflow("later"))).start()
                assert _first_event(stream)[1]["name"] == "later"
    finally:
        store.close()
