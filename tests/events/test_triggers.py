"""Trigger behaviour of the sensor controller: Slack, http, retries and dead letters, conditions, recovery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluicegate.eventing import EVENT_KIND, SensorController, TriggerRunner, conditions_hold, record_event
from tests.events.conftest import (
    OUTCOME_TOKEN,
    Recorder,
    Runtime,
    bearer,
    make_context,
    post_github,
    push_payload,
    sensor,
    wait_processed,
)


def _dep(name: str, event: str = "outcome", **filters: Any) -> dict[str, Any]:
    dep = {"name": name, "eventSourceName": "workflow-events", "eventName": event}
    if filters:
        dep["filters"] = filters
    return dep


def _outcome(rt: Runtime, body: dict[str, Any], ce_id: str | None = None) -> httpx.Response:
    headers = {"ce-id": ce_id} if ce_id else {}
    return httpx.post(rt.url("workflow-events", "outcome"), json=body, headers={**headers, **bearer(OUTCOME_TOKEN)})


def test_slack_outcome_message_is_posted_with_block_kit(
    runtime: Runtime, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_SLACK_API_URL", recorder.url + "/api")
    runtime.ctx.secrets.set("slack-bot", "token", "xoxb-test")
    record = {
        "workflow": "model-pipeline-x1y2z",
        "status": "Succeeded",
        "parameters": {"git-revision": "0123456789abcdef", "model-name": "breast-cancer"},
        "metrics": {"accuracy": 0.97},
        "run_url": "http://mlflow/#/runs/abc",
        "report_url": "http://mlflow/#/runs/def/artifacts/evaluation/report.html",
    }
    assert _outcome(runtime, record).status_code == 200
    wait_processed(runtime)
    [req] = recorder.requests
    assert req["path"] == "/api/chat.postMessage"
    assert req["headers"]["Authorization"] == "Bearer xoxb-test"
    msg = json.loads(req["body"])
    assert msg["channel"] == "ml-deploys"
    assert msg["text"] == "model-pipeline-x1y2z: Succeeded"
    text = json.dumps(msg["blocks"])
    for expected in ("0123456789ab", "breast-cancer", "*accuracy*\\n0.97", "http://mlflow/#/runs/abc"):
        assert expected in text
    # the evaluation report is linked from the message
    assert "Evaluation report: http://mlflow/#/runs/def/artifacts/evaluation/report.html" in text


def test_slack_without_token_warns_and_loses_nothing(runtime: Runtime, recorder: Recorder) -> None:
    post_github(runtime.url("github", "push"), push_payload())
    wait_processed(runtime)
    [event] = runtime.store.list(EVENT_KIND)
    by_name = {t["trigger"]: t for t in event["status"]["triggers"]}
    assert by_name["start-project-pipeline"]["phase"] == "Succeeded"
    assert by_name["announce-training"]["warning"] is True
    assert "sluice secret set slack-bot token" in by_name["announce-training"]["message"]
    assert len(runtime.workflows("project-pipeline")) == 1
    assert runtime.part.status()["sensor_warnings"] == 1


def test_failing_http_trigger_is_retried_then_dead_lettered(runtime: Runtime) -> None:
    failing = Recorder(status=503, reply={"error": "down"})
    dead = Recorder()
    try:
        trigger = {
            "template": {"name": "call", "http": {"url": failing.url + "/hook", "payload": []}},
            "retryStrategy": {"steps": 3, "duration": "10ms", "factor": 2},
            "atLeastOnce": True,
            "dlqTrigger": {
                "template": {
                    "name": "dead",
                    "http": {
                        "url": dead.url + "/dlq",
                        "payload": [{"src": {"dependencyName": "o", "dataKey": "body.workflow"}, "dest": "lost"}],
                    },
                }
            },
        }
        runtime.store.apply(sensor("retrying", [_dep("o")], [trigger]))
        _outcome(runtime, {"workflow": "wf-1", "status": "Failed"})
        wait_processed(runtime)
        assert len(failing.requests) == 3
        assert dead.json_bodies() == [{"lost": "wf-1"}]
        event = runtime.store.list(EVENT_KIND)[0]
        [rec] = [t for t in event["status"]["triggers"] if t["sensor"] == "retrying"]
        assert rec["phase"] == "Failed" and len(rec["attempts"]) == 3
        assert rec["deadLetter"]["phase"] == "Succeeded"
        assert event["status"]["phase"] == "Failed"
    finally:
        failing.close()
        dead.close()


def test_and_condition_fires_once_both_dependencies_arrived(runtime: Runtime, recorder: Recorder) -> None:
    a = _dep("a", data=[{"path": "body.kind", "type": "string", "value": ["^a$"]}])
    b = _dep("b", data=[{"path": "body.kind", "type": "string", "value": ["^b$"]}])
    params = [
        {"src": {"dependencyName": "a", "dataKey": "body.n"}, "dest": "from_a"},
        {"src": {"dependencyName": "b", "dataKey": "body.n"}, "dest": "from_b"},
        {"src": {"dependencyName": "b", "contextKey": "source"}, "dest": "source"},
    ]
    trig = {"template": {"name": "both", "conditions": "a && b", "http": {"url": recorder.url, "payload": params}}}
    runtime.store.apply(sensor("joined", [a, b], [trig]))
    _outcome(runtime, {"kind": "a", "n": 1, "status": "x"})
    wait_processed(runtime)
    assert recorder.requests == []
    _outcome(runtime, {"kind": "a", "n": 2, "status": "x"})
    _outcome(runtime, {"kind": "b", "n": 3, "status": "x"})
    wait_processed(runtime)
    assert recorder.json_bodies() == [{"from_a": "2", "from_b": "3", "source": "workflow-events"}]


def test_conditions_support_or_not_and_dashed_names() -> None:
    deps = ["version-created", "run-finished", "b"]
    assert conditions_hold("version-created || run-finished", deps, {"run-finished"})
    assert not conditions_hold("version-created && b", deps, {"b"})
    assert conditions_hold("(version-created && !b)", deps, {"version-created"})
    assert conditions_hold("", ["b"], {"b"}) and not conditions_hold("", deps, {"b"})


def test_pending_events_are_processed_after_a_restart_and_at_most_once_triggers_not_repeated(
    tmp_path: Path, recorder: Recorder
) -> None:
    ctx = make_context(tmp_path / "home")
    store = ctx.store
    trig_once = {"template": {"name": "once", "http": {"url": recorder.url + "/once", "payload": []}}}
    trig_least = {
        "template": {"name": "least", "http": {"url": recorder.url + "/least", "payload": []}},
        "atLeastOnce": True,
    }
    store.apply(sensor("recover", [_dep("o")], [trig_once, trig_least]))
    ctx_ = {"id": "1", "source": "workflow-events", "subject": "outcome", "type": "webhook"}
    data = {"header": {}, "body": {"status": "Succeeded"}, "metadata": {}}
    # a crash after the at-most-once trigger was dispatched, before the at-least-once one succeeded
    doc, _ = record_event(store, "sluicegate", "workflow-events", "outcome", "crashed", ctx_, data)
    store.mutate(EVENT_KIND, "sluicegate", doc["metadata"]["name"], lambda d: {
        **d, "status": {**d["status"], "triggers": [{"sensor": "recover", "trigger": "once", "phase": "Dispatched"}]}
    })  # fmt: skip
    record_event(store, "sluicegate", "workflow-events", "outcome", "fresh", ctx_, data)
    controller = SensorController(store, TriggerRunner(store, ctx.secrets))
    controller.start()
    try:
        rt = Runtime(part=None, ctx=ctx)  # type: ignore[arg-type]
        wait_processed(rt)
    finally:
        controller.stop()
        controller.runner.close()
    paths = sorted(r["path"] for r in recorder.requests)
    assert paths == ["/least", "/least", "/once"]  # "once" only for the fresh event
    assert {e["status"]["phase"] for e in store.list(EVENT_KIND)} == {"Triggered"}
    store.close()


def test_events_are_listed_by_the_api_routes(runtime: Runtime) -> None:
    import asyncio

    from starlette.applications import Starlette

    from sluicegate.errors import SluiceError
    from sluicegate.web import sluice_error_handler

    post_github(runtime.url("github", "push"), push_payload(), delivery="api-1")
    post_github(runtime.url("github", "push"), {"zen": "x"}, event="ping")
    wait_processed(runtime)
    app = Starlette(routes=runtime.part.routes(), exception_handlers={SluiceError: sluice_error_handler})

    async def calls() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            base = "/api/v1/sluice/events"
            listed = await client.get(base, params={"source": "github"})
            ignored = await client.get(base, params={"phase": "Ignored"})
            name = next(i for i in listed.json()["items"] if i["status"]["phase"] == "Triggered")["metadata"]["name"]
            return [listed, ignored, await client.get(f"{base}/sluicegate/{name}"), await client.get(f"{base}/x/nope")]

    listed, ignored, one, missing = asyncio.run(calls())
    assert sorted(i["status"]["phase"] for i in listed.json()["items"]) == ["Ignored", "Triggered"]
    assert "ping" in ignored.json()["items"][0]["status"]["message"]
    assert one.json()["spec"]["data"]["body"]["X-GitHub-Delivery"] == "api-1"
    assert missing.status_code == 404


def test_port_clash_is_reported_and_ports_can_be_remapped_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from sluicegate.eventing import EventsPart

    ctx = make_context(tmp_path / "home")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setenv("SLUICE_EVENTS_PORTS", f"12000={busy},12001=0,12002=0")
        part = EventsPart(relay=False)
        part.start(ctx)
        try:
            status = part.status()
            assert any(f"127.0.0.1:{busy}" in p for p in status["problems"])
            assert set(status["eventsources"]) == {
                "mlflow/run-finished",
                "mlflow/model-version-created",
                "workflow-events",
            }
        finally:
            part.stop()
    monkeypatch.setenv("SLUICE_EVENTS_PORTS", "auto")
    part = EventsPart(relay=False)
    part.start(ctx)
    try:
        assert not part.status()["problems"]
        assert ":12000/" not in part.url_of("github", "push")
    finally:
        part.stop()
        ctx.store.close()


def test_journal_keeps_the_newest_processed_events(tmp_path: Path) -> None:
    from sluicegate.eventing import prune_events
    from sluicegate.eventing._journal import set_outcome

    ctx = make_context(tmp_path / "home")
    store = ctx.store
    ctx_ = {"id": "1", "source": "workflow-events", "subject": "outcome", "type": "webhook"}
    names = []
    for i in range(6):
        doc, _ = record_event(store, "sluicegate", "workflow-events", "outcome", f"e{i}", ctx_, {"body": {}})
        names.append(doc["metadata"]["name"])
    for name in names[1:]:
        set_outcome(store, "sluicegate", name, phase="Ignored")
    assert prune_events(store, keep=3) == 2  # the oldest is still Pending and stays
    left = {d["metadata"]["name"] for d in store.list(EVENT_KIND)}
    assert left == {names[0], *names[3:]}
    store.close()


def test_pipeline_exit_handler_record_reaches_slack(
    runtime: Runtime, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import subprocess
    import sys

    from workflows._record import SOURCE

    monkeypatch.setenv("SLUICE_SLACK_API_URL", recorder.url + "/api")
    runtime.ctx.secrets.set("slack-bot", "token", "xoxb-test")
    env = {
        **os.environ,
        "WORKFLOW_NAME": "model-pipeline-q7w8e",
        "WORKFLOW_NAMESPACE": "sluicegate",
        "WORKFLOW_STATUS": "Failed",
        "WORKFLOW_FAILURES": json.dumps(
            [{"displayName": "train", "message": "main: Error (exit code 2): params.yaml: alpha: not a number; fix it"}]
        ),
        "NOTIFY_URL": runtime.url("workflow-events", "outcome"),
        "NOTIFY_TOKEN": OUTCOME_TOKEN,
        "P_GIT_REVISION": "feedfacecafebeef",
        "P_MODEL_NAME": "wine",
        "P_MLFLOW_TRACKING_URI": "http://127.0.0.1:5000",
    }
    subprocess.run([sys.executable, "-c", SOURCE], env=env, check=True, capture_output=True, timeout=60)
    wait_processed(runtime)
    [msg] = recorder.json_bodies()
    # the failing step's one line (its termination message) is in the notification text and in the blocks
    assert msg["text"] == "model-pipeline-q7w8e: Failed (train: params.yaml: alpha: not a number; fix it)"
    text = json.dumps(msg["blocks"])
    assert "feedfacecafe" in text and "wine" in text and "http://127.0.0.1:5000" in text
    said = "*train* failed: main: Error (exit code 2): params.yaml: alpha: not a number; fix it"
    assert msg["blocks"][-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": said}]}
