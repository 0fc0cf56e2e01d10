"""Trigger `rateLimit` and `conditionsReset` on the running events part, as the Argo Events sensor applies them.

`rateLimit` paces a trigger with go.uber.org/ratelimit's leaky bucket (one run every unit/N, ten runs of
slack saved while idle; a run waits, it is never dropped). `conditionsReset.byTime` forgets the events an
AND condition collected before the latest time its cron names.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from sluicegate.errors import ManifestError
from sluicegate.eventing._limits import SLACK, LeakyBucket, drop_before_reset, last_reset
from tests.events.conftest import Runtime, only_sensor, post_github, push_payload, sensor, wait_processed

NS = "sluicegate"


def _sensor(rt: Runtime, deps: list[dict[str, Any]], trigger: dict[str, Any]) -> None:
    only_sensor(rt, sensor("paced", deps, [trigger], NS))


def _dep(name: str, ref: str) -> dict[str, Any]:
    data = [{"path": "body.ref", "type": "string", "value": [f"^refs/heads/{ref}$"]}]
    return {"name": name, "eventSourceName": "github", "eventName": "push", "filters": {"data": data}}


def _events(rt: Runtime) -> list[dict[str, Any]]:
    return sorted(rt.store.list("Event", NS), key=lambda e: str(e["status"].get("receivedAt", "")))


def test_rate_limit_spaces_the_runs_of_a_trigger(runtime: Runtime) -> None:
    _sensor(
        runtime, [_dep("push", "main")], {"template": {"name": "note", "log": {}}, "rateLimit": {"requestsPerUnit": 2}}
    )
    for _ in range(3):
        assert post_github(runtime.url("github", "push"), push_payload()).status_code == 200
    wait_processed(runtime, timeout=30)
    runs = [datetime.fromisoformat(e["status"]["triggers"][0]["time"].replace("Z", "+00:00")) for e in _events(runtime)]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(runs)]
    assert len(runs) == 3 and all(g >= 0.45 for g in gaps), gaps  # one run per 0.5 s


def test_an_and_condition_keeps_events_after_the_last_reset_and_a_bad_cron_is_named(runtime: Runtime) -> None:
    yearly = {"conditionsReset": [{"byTime": {"cron": "0 0 1 1 *", "timezone": "Europe/Paris"}}]}
    trigger = {"template": {"name": "both", "conditions": "main && dev", "log": {}, **yearly}}
    _sensor(runtime, [_dep("main", "main"), _dep("dev", "dev")], trigger)
    post_github(runtime.url("github", "push"), push_payload(ref="refs/heads/main"))
    post_github(runtime.url("github", "push"), push_payload(ref="refs/heads/dev"))
    wait_processed(runtime)
    assert [t["trigger"] for t in _events(runtime)[-1]["status"]["triggers"]] == ["both"]

    bad = {"template": {**trigger["template"], "conditionsReset": [{"byTime": {"cron": "every day"}}]}}
    _sensor(runtime, [_dep("main", "main"), _dep("dev", "dev")], bad)
    post_github(runtime.url("github", "push"), push_payload(ref="refs/heads/main"))
    wait_processed(runtime)
    event = _events(runtime)[-1]
    assert event["status"]["phase"] == "Ignored"
    assert "conditionsReset[0].byTime.cron" in event["status"]["message"]


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_leaky_bucket_paces_and_saves_slack_while_idle_as_uber_ratelimit() -> None:
    clock = _Clock()
    bucket = LeakyBucket(2, "Second", clock=clock)  # one permission per 0.5 s
    assert [bucket.delay() for _ in range(3)] == [0.0, 0.5, 1.0]
    clock.now += 60  # idle for a minute: at most SLACK permissions are saved
    waits = [bucket.delay() for _ in range(SLACK + 2)]
    assert waits[: SLACK + 1] == [0.0] * (SLACK + 1) and waits[-1] == 0.5
    with pytest.raises(ManifestError, match="Second, Minute, Hour"):
        LeakyBucket(1, "Day")


def test_last_reset_is_the_previous_cron_time_in_its_zone_and_older_events_are_dropped() -> None:
    now = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
    crit = [{"byTime": {"cron": "0 9 * * *", "timezone": "Asia/Tokyo"}}, {"byTime": {"cron": "0 10 * * *"}}]
    assert last_reset(crit, now) == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # 10:00 UTC beats 09:00 JST (00:00 UTC)
    state = {
        "old": {"context": {"time": "2000-01-01T00:00:00.000000Z"}},
        "new": {"context": {"time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}},
    }
    assert drop_before_reset(state, [{"byTime": {"cron": "0 0 1 1 *"}}]) == ["old"] and list(state) == ["new"]
    with pytest.raises(ManifestError, match="unknown timezone"):
        last_reset([{"byTime": {"cron": "0 0 * * *", "timezone": "Nowhere/Land"}}])
