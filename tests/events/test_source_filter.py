"""An EventSource event's `filter.expression`: what it rejects is recorded as Ignored, never published.

As Argo Events' EventSource adaptor: the expression (expr-lang, with Argo's functions and `sprig.*`) reads
the event data, `-` in top-level keys read as `_`, dotted keys as nested maps, a missing name as nil; it
must give a boolean. For calendar, webhook and github sources; a calendar event held back is still
persisted, as Argo's listener persists it after a dispatch that filtered it out.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sluicegate.eventing._calendar import calendars_of
from sluicegate.eventing._source_filter import filter_expression, passes
from sluicegate.eventing._sources import endpoints_of
from sluicegate.services import free_port
from tests.events.conftest import Runtime, sensor, wait_for

NS = "sluicegate"
WHERE = "EventSource/s: spec.webhook.e.filter"


@pytest.mark.parametrize(
    ("expression", "data", "publish"),
    [
        ('metadata.team == "ml"', {"metadata": {"team": "ml"}}, True),
        ('metadata.team == "ml"', {"metadata": {"team": "ops"}}, False),
        ("x_y == 1", {"x-y": 1}, True),  # '-' in a top-level key reads as '_'
        ("a.b.c == 2 && a.d == 3", {"a.b.c": 2, "a.d": 3}, True),  # dotted keys are nested maps
        ("a.b == 1", {"a.b": 1, "a": 5}, True),  # the less specific of clashing keys goes
        ("nothing == nil", {"x": 1}, True),  # a name the data lacks is nil
        (
            'sprig.contains("push", body.kind) && len(body.items) == 2',
            {"body": {"kind": "a push", "items": [1, 2]}},
            True,
        ),
        ("body.n > 5", {"body": {"n": 7}}, True),
    ],
)
def test_the_expression_reads_the_data_as_argo_events_does(expression: str, data: Any, publish: bool) -> None:
    assert passes(expression, data, WHERE)[0] is publish


@pytest.mark.parametrize(
    ("expression", "needle"),
    [
        ("body.n", "expected a boolean"),  # a non-boolean result is an error, not a truthy value
        ("", "unable to evaluate expression"),  # `filter: {}` rejects everything, as in Argo
        ("body.nope.deeper == 1", "unable to evaluate expression"),
    ],
)
def test_an_erring_expression_rejects_the_event_with_the_reason(expression: str, needle: str) -> None:
    publish, why = passes(expression, {"body": {"n": 7}}, WHERE)
    assert not publish and needle in why and why.startswith(WHERE)


def test_the_filter_is_read_per_event_from_each_source_type() -> None:
    assert filter_expression({"interval": "1s"}) is None
    assert filter_expression({"filter": {}}) == ""
    flt = {"filter": {"expression": "body.ok == true"}}
    doc = {
        "metadata": {"name": "s", "namespace": NS},
        "spec": {
            "calendar": {"c": {"interval": "1s", **flt}},
            "webhook": {"w": {"port": "12000", "endpoint": "/w", **flt}},
            "github": {"g": {"webhook": {"port": "12001", "endpoint": "/g"}, **flt}},
        },
    }
    assert [c.filter for c in calendars_of(doc)] == ["body.ok == true"]
    assert {e.event: e.filter for e in endpoints_of(doc)} == {"w": "body.ok == true", "g": "body.ok == true"}


def _events(rt: Runtime, source: str) -> list[dict[str, Any]]:
    return rt.store.list("Event", NS, labels={"events.argoproj.io/event-source": source})


def test_a_calendar_filter_publishes_only_what_it_accepts(runtime: Runtime) -> None:
    wants = {"name": "d", "eventSourceName": "clock", "eventName": "kept"}
    runtime.store.apply(sensor("on-kept", [wants], [{"template": {"name": "note", "log": {}}}], NS))
    state = {"configMap": {"name": "clock-state", "createIfNotExist": True}}
    calendar = {
        "kept": {"interval": "1s", "metadata": {"team": "ml"}, "filter": {"expression": 'metadata.team == "ml"'}},
        "dropped": {"interval": "1s", "persistence": state, "filter": {"expression": "eventTime == nil"}},
    }
    runtime.store.apply(
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "EventSource", "metadata": {"name": "clock", "namespace": NS},
         "spec": {"calendar": calendar}}
    )  # fmt: skip
    runtime.part.reconcile()

    def both() -> list[dict[str, Any]] | None:
        done = [e for e in _events(runtime, "clock") if e["status"]["phase"] != "Pending"]
        return done if {e["spec"]["context"]["subject"] for e in done} == {"kept", "dropped"} else None

    done = wait_for(both, what="an event of each calendar")
    kept = next(e for e in done if e["spec"]["context"]["subject"] == "kept")
    assert kept["status"]["phase"] == "Triggered" and [t["trigger"] for t in kept["status"]["triggers"]] == ["note"]
    dropped = next(e for e in done if e["spec"]["context"]["subject"] == "dropped")
    assert dropped["status"]["phase"] == "Ignored" and dropped["status"]["triggers"] == []
    assert "spec.calendar.dropped.filter: filter condition not met: eventTime == nil" in dropped["status"]["message"]
    saved = json.loads(runtime.store.get("ConfigMap", NS, "clock-state")["data"]["clock.dropped"])
    assert "eventTime" in saved  # persisted although held back, as Argo's listener does
    runtime.store.delete("EventSource", NS, "clock")
    runtime.part.reconcile()


def test_a_webhook_filter_answers_200_and_keeps_rejected_events_from_sensors(runtime: Runtime) -> None:
    wants = {"name": "d", "eventSourceName": "deploys", "eventName": "deploy"}
    runtime.store.apply(sensor("on-deploy", [wants], [{"template": {"name": "note", "log": {}}}], NS))
    hook = {"port": str(free_port()), "endpoint": "/deploy", "filter": {"expression": 'body.env == "prod"'}}
    runtime.store.apply(
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "EventSource", "metadata": {"name": "deploys", "namespace": NS},
         "spec": {"webhook": {"deploy": hook}}}
    )  # fmt: skip
    runtime.part.reconcile()
    url = wait_for(lambda: runtime.part.urls().get("deploys"), what="served endpoint")

    rejected = httpx.post(url, json={"env": "dev"}, timeout=30)
    accepted = httpx.post(url, json={"env": "prod"}, timeout=30)

    assert rejected.status_code == 200 and "filter condition not met" in rejected.text
    assert (accepted.status_code, accepted.text) == (200, "success")

    def by_env() -> dict[str, dict[str, Any]] | None:
        out = {e["spec"]["data"]["body"]["env"]: e["status"] for e in _events(runtime, "deploys")}
        return out if len(out) == 2 and out["prod"]["phase"] != "Pending" else None

    status = wait_for(by_env, what="both deliveries processed")
    assert status["prod"]["phase"] == "Triggered"
    assert status["dev"]["phase"] == "Ignored" and status["dev"]["triggers"] == []
    assert status["dev"]["message"].startswith("EventSource/deploys: spec.webhook.deploy.filter: filter condition")
