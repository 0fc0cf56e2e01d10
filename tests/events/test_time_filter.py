"""Sensor `filters.time` on the running events part; `script` filters say they do not run here.

Only events inside the daily window trigger.

As Argo Events' filterTime: `start` and `stop` are `hh:mm:ss` on the event's day in `timezone` (UTC when
unset); the window is `[start, stop)`, and a `stop` before `start` runs past midnight. Each test posts a
signed GitHub push to the real `github` EventSource; the Sensor is the test's own (a `log` trigger).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sluicegate.eventing import filter_event
from sluicegate.eventing._model import EventDependency
from tests.events.conftest import Runtime, only_sensor, post_github, push_payload, sensor, wait_processed

NS = "sluicegate"


def _clock(delta_minutes: int, tz: Any = UTC) -> str:
    return (datetime.now(tz) + timedelta(minutes=delta_minutes)).strftime("%H:%M:%S")


def _only_sensor(rt: Runtime, window: dict[str, str]) -> None:
    push = {"name": "push", "eventSourceName": "github", "eventName": "push", "filters": {"time": window}}
    only_sensor(rt, sensor("office-hours", [push], [{"template": {"name": "note", "log": {}}}], NS))


def _push(rt: Runtime) -> dict[str, Any]:
    assert post_github(rt.url("github", "push"), push_payload()).status_code == 200
    wait_processed(rt)
    return max(rt.store.list("Event", NS), key=lambda e: e["metadata"]["creationTimestamp"] + e["metadata"]["name"])


def test_an_event_inside_the_window_triggers(runtime: Runtime) -> None:
    _only_sensor(runtime, {"start": _clock(-5), "stop": _clock(+5)})
    event = _push(runtime)
    assert event["status"]["phase"] == "Triggered", event["status"]
    assert [t["trigger"] for t in event["status"]["triggers"]] == ["note"]


def test_an_event_outside_the_window_is_ignored_with_the_reason(runtime: Runtime) -> None:
    _only_sensor(runtime, {"start": _clock(+5), "stop": _clock(+10)})
    event = _push(runtime)
    assert event["status"]["phase"] == "Ignored"
    assert "office-hours/push: time filter: event at" in event["status"]["message"]


def test_a_window_across_midnight_in_a_timezone(runtime: Runtime) -> None:
    # stop before start: [start, midnight) or [midnight, stop) - now is inside when start is just before it
    tz = "Asia/Tokyo"
    from zoneinfo import ZoneInfo

    _only_sensor(runtime, {"start": _clock(-1, ZoneInfo(tz)), "stop": _clock(-2, ZoneInfo(tz)), "timezone": tz})
    assert _push(runtime)["status"]["phase"] == "Triggered"


@pytest.mark.parametrize(
    ("window", "at", "passes"),
    [
        ({"start": "09:00:00", "stop": "17:00:00"}, "2026-01-05T09:00:00Z", True),  # start is inside
        ({"start": "09:00:00", "stop": "17:00:00"}, "2026-01-05T17:00:00Z", False),  # stop is not
        ({"start": "22:00:00", "stop": "01:00:00"}, "2026-01-05T00:30:00Z", True),
        ({"start": "22:00:00", "stop": "01:00:00"}, "2026-01-05T12:00:00Z", False),
        ({"start": "09:00:00", "stop": "17:00:00", "timezone": "America/New_York"}, "2026-01-05T13:59:59Z", False),
        ({"start": "09:00:00", "stop": "17:00:00", "timezone": "America/New_York"}, "2026-01-05T14:00:00Z", True),
    ],
)
def test_window_edges_as_argo_events(window: dict[str, str], at: str, passes: bool) -> None:
    dep = EventDependency.model_validate(
        {"name": "d", "eventSourceName": "s", "eventName": "e", "filters": {"time": window}}
    )
    assert filter_event(dep, {"time": at}, {})[0] is passes


@pytest.mark.parametrize(
    ("window", "needle"),
    [
        ({"start": "9am", "stop": "17:00:00"}, "time filter error (parsing time"),
        ({"start": "09:00:00", "stop": "17:00:00", "timezone": "Mars/Olympus"}, "invalid timezone 'Mars/Olympus'"),
    ],
)
def test_a_bad_window_fails_the_filter_with_argo_events_reason(window: dict[str, str], needle: str) -> None:
    dep = EventDependency.model_validate(
        {"name": "d", "eventSourceName": "s", "eventName": "e", "filters": {"time": window}}
    )
    passed, why = filter_event(dep, {"time": "2026-01-05T10:00:00Z"}, {})
    assert not passed and needle in why


def test_script_filters_use_no_event_and_say_why() -> None:
    dependency = {"filters": {"script": "if event.a then return true end"}}
    dep = EventDependency.model_validate({"name": "d", "eventSourceName": "s", "eventName": "e", **dependency})
    passed, why = filter_event(dep, {"time": "2026-01-05T10:00:00Z"}, {"body": {}})
    assert not passed and "script filter (Lua) is not supported" in why and "docs/compatibility.md" in why
