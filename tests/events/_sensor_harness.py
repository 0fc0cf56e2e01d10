"""An in-process sensor controller over a temp store: apply a Sensor, send it events, read their outcomes.

Used by the trigger tests that need the controller's own path (trigger-level parameters, the trigger's
policy) without EventSource servers or threads: each event is recorded as the servers record it and
processed synchronously; `harnessed` backs the modules' `harness` fixtures.
"""

from __future__ import annotations

import atexit
import functools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sluicegate.eventing import SensorController, TriggerRunner, record_event
from sluicegate.secrets import SecretStore
from sluicegate.store import Store
from tests.events.conftest import Recorder, sensor

NS = "sluicegate"
SOURCE = "hooks"


def dep(name: str, event: str = "example") -> dict[str, Any]:
    """A dependency on one event of the `hooks` webhook EventSource."""
    return {"name": name, "eventSourceName": SOURCE, "eventName": event}


class SensorHarness:
    """A store, secrets, a trigger runner and a sensor controller that no thread drives.

    `server` is a recording HTTP server on 127.0.0.1 for http triggers, emptied and answering 200 anew.
    """

    def __init__(self, home: Path) -> None:
        self.store = Store(home / "store.db")
        self.secrets = SecretStore(home)
        self.runner = TriggerRunner(self.store, self.secrets)
        self.controller = SensorController(self.store, self.runner, sleep=lambda _: None)
        self.server = _shared_server()
        self.server.requests.clear()
        self.server.status = 200

    def close(self) -> None:
        self.runner.close()
        self.store.close()

    def apply_sensor(self, triggers: list[dict[str, Any]], dependencies: list[dict[str, Any]] | None = None) -> None:
        """Apply the Sensor `s` with these triggers (default dependency: `dep` on `hooks/example`)."""
        self.store.apply(sensor("s", dependencies or [dep("dep")], triggers, namespace=NS))

    def send(self, body: Any, event: str = "example") -> dict[str, Any]:
        """Record a webhook event with `body` and process it; the event document with its outcome."""
        context = {
            "id": uuid.uuid4().hex,
            "source": SOURCE,
            "specversion": "1.0",
            "type": "webhook",
            "datacontenttype": "application/json",
            "subject": event,
            "time": "2026-12-01T10:11:12.345678Z",
        }
        data = {"header": {}, "body": body, "metadata": {}}
        doc, _ = record_event(self.store, NS, SOURCE, event, None, context, data)
        return self.controller.process(doc)

    def outcome(self, event: dict[str, Any], trigger: str) -> dict[str, Any]:
        """The recorded outcome of one trigger of the processed `event`."""
        return next(t for t in event["status"]["triggers"] if t["trigger"] == trigger)


@functools.cache
def _shared_server() -> Recorder:
    """One recording server per test process (closing one costs half a second), closed at exit."""
    server = Recorder()
    atexit.register(server.close)
    return server


def harnessed(home: Path) -> Iterator[SensorHarness]:
    """A harness over a temp store (`yield from` it in a fixture); closed after the test."""
    h = SensorHarness(home)
    try:
        yield h
    finally:
        h.close()
