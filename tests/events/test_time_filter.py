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


def _scripted(script: str, **filters: Any) -> EventDependency:
    return EventDependency.model_validate(
        {"name": "d", "eventSourceName": "s", "eventName": "e", "filters": {"script": script, **filters}}
    )


@pytest.mark.parametrize(
    ("data", "passes"),
    [
        ({"body": {"a": "b", "d": {"e": "z"}}}, True),  # Argo Events' script filter example
        ({"body": {"a": "b", "d": {"e": "y"}}}, False),
        ({"hello": "world"}, False),  # the script indexes a missing table: a script error
        (None, True),  # no data: Argo's filterScript passes it
    ],
)
def test_a_lua_script_filter_passes_the_event_only_when_it_returns_true(data: Any, passes: bool) -> None:
    script = 'if event.body.a == "b" and event.body.d.e == "z" then return true else return false end'
    passed, why = filter_event(_scripted(script), {"time": "2026-01-05T10:00:00Z"}, data)
    assert passed is passes, why
    if data == {"hello": "world"}:
        assert why.startswith("script filter error: filters.script: script error:"), why


@pytest.mark.parametrize(
    ("script", "passes"),
    [("return 1", False), ("return 'true'", False), ("local x = 1", False), ("return false, true", True)],
)
def test_only_a_last_returned_boolean_true_passes_a_script_filter(script: str, passes: bool) -> None:
    passed, _ = filter_event(_scripted(script), {"time": "2026-01-05T10:00:00Z"}, {"body": {}})
    assert passed is passes


def test_a_failing_script_filter_fails_the_event_even_when_or_would_pass_it() -> None:
    data_filter = [{"path": "body.a", "type": "string", "value": ["b"]}]
    failing = _scripted("error('boom')", data=data_filter)
    failing.filters_logical_operator = "or"
    passed, why = filter_event(failing, {"time": "2026-01-05T10:00:00Z"}, {"body": {"a": "b"}})
    assert not passed and "boom" in why
    passing = _scripted("return true", data=data_filter)
    passing.filters_logical_operator = "or"
    passed, _ = filter_event(passing, {"time": "2026-01-05T10:00:00Z"}, {"body": {"a": "c"}})
    assert passed  # with `or`, the script alone passes it
