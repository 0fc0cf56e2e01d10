"""A Sensor's partial AND condition survives a restart of the events part, as Argo Events' bus keeps it.

A trigger that waits for two dependencies fires with the event seen before the restart and the one after;
an event processed again after a crash is not counted twice; a fired trigger starts collecting afresh.
"""

from __future__ import annotations

import time
from typing import Any

from sluicegate.eventing import EventsPart
from sluicegate.eventing._journal import precise_now, record_event
from tests.events.conftest import Runtime, sensor, wait_for, wait_processed

NS = "sluicegate"


def _sensor(runtime: Runtime) -> None:
    dependencies = [
        {"name": "data-ready", "eventSourceName": "ext", "eventName": "data"},
        {"name": "model-ready", "eventSourceName": "ext", "eventName": "model"},
    ]
    runtime.store.apply(sensor("pair", dependencies, [{"template": {"name": "both", "log": {}}}], NS))


def _emit(runtime: Runtime, event: str) -> str:
    context = {
        "id": event + str(time.time_ns()),
        "source": "ext",
        "subject": event,
        "type": "webhook",
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "time": precise_now(),
    }
    doc, _ = record_event(runtime.store, NS, "ext", event, None, context, {"body": {"which": event}})
    return str(doc["metadata"]["name"])


def _trigger_of(runtime: Runtime, event_name: str) -> dict[str, Any] | None:
    doc = runtime.store.get("Event", NS, event_name)
    return next((t for t in doc["status"].get("triggers") or [] if t.get("sensor") == "pair"), None)


def _restart(runtime: Runtime) -> Runtime:
    runtime.part.stop()
    part = EventsPart(port_map=dict(runtime.part.port_map), relay=False)
    part.start(runtime.ctx)
    return Runtime(part, runtime.ctx)


def test_an_and_condition_fires_with_an_event_seen_before_the_restart(runtime: Runtime) -> None:
    _sensor(runtime)
    first = _emit(runtime, "data")
    wait_processed(runtime)
    assert _trigger_of(runtime, first) is None
    assert "waiting for the other dependencies" in runtime.store.get("Event", NS, first)["status"]["message"]
    restarted = _restart(runtime)
    try:
        second = _emit(restarted, "model")
        wait_processed(restarted)
        fired = _trigger_of(restarted, second)
        assert fired is not None and fired["phase"] == "Succeeded", fired
        assert fired["message"] == "logged 2 event(s)"
        third = _emit(restarted, "model")  # the condition was used up: this one waits again
        wait_processed(restarted)
        assert _trigger_of(restarted, third) is None
    finally:
        restarted.part.stop()


def test_an_event_processed_again_after_a_crash_is_not_counted_twice(runtime: Runtime) -> None:
    _sensor(runtime)
    first = _emit(runtime, "data")
    wait_processed(runtime)
    runtime.part.stop()

    def crashed(doc: dict[str, Any]) -> dict[str, Any]:  # its state was saved, its outcome never written
        doc["status"].update(phase="Pending", triggers=[], message="")
        return doc

    runtime.store.mutate("Event", NS, first, crashed)
    part = EventsPart(port_map=dict(runtime.part.port_map), relay=False)
    part.start(runtime.ctx)
    restarted = Runtime(part, runtime.ctx)
    try:
        wait_processed(restarted)
        assert _trigger_of(restarted, first) is None  # replayed: still waiting for model-ready
        again = _emit(restarted, "data")  # a newer data-ready replaces the first, it does not fire alone
        wait_processed(restarted)
        assert _trigger_of(restarted, again) is None
        done = _emit(restarted, "model")
        wait_processed(restarted)
        fired = _trigger_of(restarted, done)
        assert fired is not None and fired["message"] == "logged 2 event(s)", fired
    finally:
        part.stop()


def test_a_sensor_created_again_starts_without_the_old_partial_state(runtime: Runtime) -> None:
    _sensor(runtime)
    _emit(runtime, "data")
    wait_processed(runtime)
    assert runtime.store.try_get("SensorState", NS, "pair") is not None
    runtime.store.delete("Sensor", NS, "pair")
    wait_for(lambda: runtime.store.try_get("SensorState", NS, "pair") is None, 10, "the state deleted")
    _sensor(runtime)
    late = _emit(runtime, "model")
    wait_processed(runtime)
    assert _trigger_of(runtime, late) is None
