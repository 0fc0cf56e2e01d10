"""The `calendar` EventSource on the running events part: scheduled events reach Sensors as Argo Events' do.

An `interval` source emits `{"eventTime": <Go time.String()>, "metadata": ...}` events with context type
`calendar`, which a Sensor's dependency triggers on; `schedule` (cron), `exclusionDates` and `timezone`
pick the times as Argo Events' calendar listener does; bad specs are reported on the stack's status.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sluicegate.errors import ManifestError
from sluicegate.eventing._calendar import calendars_of, go_time_string
from tests.events.conftest import Runtime, sensor

NS = "sluicegate"


def _source(name: str, calendar: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "EventSource",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"calendar": calendar},
    }


def test_an_interval_source_triggers_a_sensor_with_argo_events_payload(runtime: Runtime) -> None:
    tick = {"name": "tick", "eventSourceName": "clock", "eventName": "every-second"}
    runtime.store.apply(sensor("retrain-nightly", [tick], [{"template": {"name": "note", "log": {}}}], NS))
    runtime.store.apply(_source("clock", {"every-second": {"interval": "1s", "metadata": {"team": "ml"}}}))
    deadline = time.monotonic() + 20
    events: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        events = [e for e in runtime.store.list("Event", NS) if e["spec"]["context"]["type"] == "calendar"]
        if len([e for e in events if e["status"]["phase"] != "Pending"]) >= 2:
            break
        time.sleep(0.2)
    done = [e for e in events if e["status"]["phase"] != "Pending"]
    assert len(done) >= 2, events
    first = done[0]
    assert first["spec"]["context"]["source"] == "clock" and first["spec"]["context"]["subject"] == "every-second"
    assert first["spec"]["data"]["metadata"] == {"team": "ml"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \S+", first["spec"]["data"]["eventTime"])
    assert [t["trigger"] for t in first["status"]["triggers"]] == ["note"]
    runtime.store.delete("EventSource", NS, "clock")  # the timer stops with its EventSource
    runtime.part.reconcile()
    assert not runtime.part.calendars


def test_a_bad_calendar_is_reported_in_the_status(runtime: Runtime) -> None:
    runtime.store.apply(_source("broken", {"nightly": {"schedule": "every night"}}))
    runtime.part.reconcile()
    assert any("spec.calendar.nightly.schedule" in p for p in runtime.part.status()["problems"])


def _one(cfg: dict[str, Any]) -> Any:
    return calendars_of(_source("s", {"e": cfg}))[0]


def test_schedule_wins_over_interval_and_uses_the_timezone() -> None:
    spec = _one({"schedule": "0 3 * * *", "interval": "1s", "timezone": "Asia/Tokyo"})
    after = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo
    assert spec.next_after(after) == datetime(2026, 3, 5, 3, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_exclusion_dates_skip_whole_days_and_interval_keeps_whole_seconds() -> None:
    spec = _one({"schedule": "0 3 * * *", "timezone": "UTC", "exclusionDates": ["EXDATE:20260305T000000Z", "x"]})
    assert spec.excluded == frozenset({date(2026, 3, 5)})
    assert spec.next_after(datetime(2026, 3, 4, 12, 0, tzinfo=UTC)).date() == date(2026, 3, 6)
    tick = _one({"interval": "90s", "timezone": "UTC"})
    assert tick.next_after(datetime(2026, 3, 4, 12, 0, 0, 250000, tzinfo=UTC)) == datetime(
        2026, 3, 4, 12, 1, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("cfg", "needle"),
    [
        ({}, "either a schedule or interval"),
        ({"schedule": "0 3 * *"}, "failed to parse schedule"),
        ({"interval": "soon"}, "interval"),
        ({"interval": "1s", "timezone": "Mars/Base"}, "unknown time zone Mars/Base"),
        ({"interval": "1s", "exclusionDates": ["EXDATE:2026-03-05"]}, "exclusionDates"),
    ],
)
def test_bad_calendars_name_the_field(cfg: dict[str, Any], needle: str) -> None:
    with pytest.raises(ManifestError) as e:
        _one(cfg)
    assert needle in e.value.message or needle in str(e.value.where)


def test_event_time_reads_as_go_prints_it() -> None:
    t = datetime(2026, 3, 4, 5, 6, 7, 120000, tzinfo=ZoneInfo("Europe/Paris"))
    assert go_time_string(t) == "2026-03-04 05:06:07.12 +0100 CET"
