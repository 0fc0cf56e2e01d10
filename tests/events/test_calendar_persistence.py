"""Calendar `persistence`: the last event is kept in a ConfigMap and missed times are caught up after a restart.

As Argo Events' calendar listener: every event's data is saved under `<eventSource>.<event>` of
`persistence.configMap`; with `catchup.enabled` a restarted source emits each scheduled time it missed, with
that time as `eventTime`, going back at most `catchup.maxDuration`; without catch-up it starts from now.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sluicegate.eventing import EventsPart
from sluicegate.eventing._calendar import CalendarTimer, calendars_of, go_time_string, parse_go_time
from sluicegate.store import Store
from tests.events.conftest import Runtime

NS = "sluicegate"


def _source(name: str, event: str, cfg: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "EventSource",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"calendar": {event: cfg}},
    }


def _times(store: Store, source: str) -> list[datetime]:
    events = store.list("Event", NS, labels={"events.argoproj.io/event-source": source})
    return sorted(parse_go_time(e["spec"]["data"]["eventTime"]) for e in events)


def _wait(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_restarted_source_emits_the_times_it_missed_while_down(runtime: Runtime) -> None:
    persistence = {
        "catchup": {"enabled": True, "maxDuration": "1m"},
        "configMap": {"name": "calendar-state", "createIfNotExist": True},
    }
    runtime.store.apply(_source("clock", "tick", {"interval": "2s", "timezone": "UTC", "persistence": persistence}))
    runtime.part.reconcile()
    _wait(lambda: len(_times(runtime.store, "clock")) >= 1)
    runtime.part.stop()
    before = _times(runtime.store, "clock")
    saved = json.loads(runtime.store.get("ConfigMap", NS, "calendar-state")["data"]["clock.tick"])
    assert parse_go_time(saved["eventTime"]) == before[-1]  # the last event is what was persisted
    time.sleep(4.5)  # two scheduled times pass while no source runs
    part = EventsPart(port_map=dict(runtime.part.port_map), relay=False)
    part.start(runtime.ctx)
    try:
        _wait(lambda: len(_times(runtime.store, "clock")) >= len(before) + 2)
    finally:
        part.stop()
    after = _times(runtime.store, "clock")[len(before) :]
    (spec,) = calendars_of(runtime.store.get("EventSource", NS, "clock"))
    assert after[0] == spec.next_after(before[-1])  # the first missed time, not the restart's time
    assert after[1] == spec.next_after(after[0])
    assert after[1] < before[-1] + timedelta(seconds=4.5)  # both missed while the source was down


def test_catch_up_goes_back_at_most_max_duration(tmp_path: Any) -> None:
    store = Store(tmp_path / "store.db")
    try:
        now = datetime(2026, 3, 4, 12, 0, 30, tzinfo=UTC)
        last = {"eventTime": go_time_string(now - timedelta(hours=2))}
        store.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "state", "namespace": NS},
                "data": {"nightly.every-ten": json.dumps(last)},
            }
        )
        persistence = {"catchup": {"enabled": True, "maxDuration": "30m"}, "configMap": {"name": "state"}}
        cfg = {"schedule": "*/10 * * * *", "timezone": "UTC", "persistence": persistence}
        (spec,) = calendars_of(_source("nightly", "every-ten", cfg))
        timer = CalendarTimer(spec, store, now=lambda: now)
        timer.start()
        try:
            _wait(lambda: len(_times(store, "nightly")) >= 3)
        finally:
            timer.stop()
        # from 11:30:30 (30 minutes before now), not from 10:00:30 (the persisted event)
        expected = [datetime(2026, 3, 4, 11, 40, tzinfo=UTC), datetime(2026, 3, 4, 11, 50, tzinfo=UTC)]
        assert _times(store, "nightly") == [*expected, datetime(2026, 3, 4, 12, 0, tzinfo=UTC)]
    finally:
        store.close()


def test_without_catch_up_the_source_only_saves_its_last_event(tmp_path: Any) -> None:
    store = Store(tmp_path / "store.db")
    try:
        now = datetime(2026, 3, 4, 12, 0, 30, tzinfo=UTC)
        old = json.dumps({"eventTime": go_time_string(now - timedelta(hours=2))})
        store.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "state", "namespace": NS},
                "data": {"s.e": old},
            }
        )
        cfg = {"interval": "1h", "timezone": "UTC", "persistence": {"configMap": {"name": "state"}}}
        (spec,) = calendars_of(_source("s", "e", cfg))
        timer = CalendarTimer(spec, store, now=lambda: now)
        timer.start()
        time.sleep(0.5)
        timer.stop()
        assert _times(store, "s") == []  # nothing missed is emitted: the next time is an hour from now
    finally:
        store.close()


def test_a_missing_config_map_without_create_if_not_exist_is_a_problem(runtime: Runtime) -> None:
    cfg = {"interval": "1s", "persistence": {"configMap": {"name": "absent"}}}
    runtime.store.apply(_source("strict", "tick", cfg))
    runtime.part.reconcile()
    _wait(lambda: any("absent" in p for p in runtime.part.status()["problems"]))
    time.sleep(1.5)
    assert _times(runtime.store, "strict") == []
