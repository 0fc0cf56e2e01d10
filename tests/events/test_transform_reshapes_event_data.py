"""A Sensor dependency's `transform` (jq or Lua script) reshapes the event's data before filters and triggers.

As Argo Events' ApplyTransform: only the data is transformed, the transformed event is what the dependency's
filters see and what trigger parameters read; a transform that fails (bad program, script error, a result
that is not an object) uses the event for no trigger and the Event says why. The end-to-end tests post a
signed GitHub push to the real `github` EventSource of the running events part; the Sensor is the test's own
with an `http` trigger whose payload a local recording server receives.
"""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.eventing._transform import LUA_INSTRUCTIONS, TransformError, transform_data
from tests.events.conftest import Recorder, Runtime, only_sensor, post_github, push_payload, sensor, wait_processed

NS = "sluicegate"

ORDER = {"body": {"order": {"id": 7, "qty": 2, "sku": "ab-1"}, "note": None}, "headers": {"X-Kind": ["order"]}}


# -- the transform on its own ------------------------------------------------------------------------------


def test_jq_reshapes_the_data_and_keeps_the_rest() -> None:
    out = transform_data({"jq": ".body.order.qty *= 10 | .body.order.sku |= ascii_upcase | del(.headers)"}, ORDER)
    assert out == {"body": {"order": {"id": 7, "qty": 20, "sku": "AB-1"}, "note": None}}
    assert ORDER["body"]["order"]["qty"] == 2  # the input is not modified


def test_jq_takes_the_first_of_several_outputs() -> None:
    assert transform_data({"jq": "{n: 1}, {n: 2}"}, ORDER) == {"n": 1}


def test_a_lua_script_sees_the_data_as_the_event_table_and_returns_the_new_event() -> None:
    script = """
        event.body.order.qty = event.body.order.qty * 3
        event.body.summary = string.format("%s x%d", event.body.order.sku, event.body.order.qty)
        event.body.tags = {"a", "b"}
        return event
    """
    out = transform_data({"script": script}, ORDER)
    assert out["body"]["order"] == {"id": 7, "qty": 6, "sku": "ab-1"}  # Lua 5.1 numbers: 6.0 is written 6
    assert out["body"]["summary"] == "ab-1 x6"
    assert out["body"]["tags"] == ["a", "b"]
    assert out["headers"] == {"X-Kind": ["order"]}
    assert "note" not in out["body"]  # a null is no table entry in Lua, as in gopher-lua


def test_a_script_runs_lua_5_1() -> None:
    assert transform_data({"script": "return {version = _VERSION}"}, {}) == {"version": "Lua 5.1"}


def test_no_data_is_left_as_it_is() -> None:
    assert transform_data({"jq": ".x"}, None) is None
    assert transform_data({}, {"a": 1}) == {"a": 1}


@pytest.mark.parametrize(
    ("transform", "data", "needle"),
    [
        ({"jq": ".body |||"}, ORDER, "transform.jq: invalid jq program '.body |||'"),
        ({"jq": ".body.order.sku + 1"}, ORDER, 'jq error: string ("ab-1") and number (1) cannot be added'),
        ({"jq": "empty"}, ORDER, "no output available from the jq command execution"),
        ({"jq": ".body.order.id"}, ORDER, "jq transformation output must be a JSON object, got a number"),
        ({"jq": "."}, ["not", "an", "object"], "the event's data is an array, a transform needs a JSON object"),
        ({"script": "event.body = "}, ORDER, "transform.script: script error: script:1: unexpected symbol"),
        ({"script": "error('no order')"}, ORDER, "script error: script:1: no order"),
        ({"script": "return 'done'"}, ORDER, "output type is not of lua table (it returned string)"),
        ({"script": "event.x = 1"}, ORDER, "output type is not of lua table (it returned nothing)"),
        ({"script": "return {1, 2}"}, ORDER, "script transformation output must be a JSON object, got an array"),
        ({"script": "event.f = tostring return event"}, ORDER, "the script's result holds a Lua function"),
        ({"jq": ".", "script": "return event"}, ORDER, "both `jq` and `script` are set"),
        ({"lua": "return event"}, ORDER, "unknown field(s) ['lua']"),
    ],
)
def test_a_bad_transform_is_a_clear_error(transform: dict[str, Any], data: Any, needle: str) -> None:
    with pytest.raises(TransformError) as e:
        transform_data(transform, data)
    assert needle in e.value.message


@pytest.mark.parametrize(
    ("script", "needle"),
    [
        ("os.execute('touch /tmp/x') return event", "attempt to index global 'os' (a nil value)"),
        ("io.open('/etc/passwd') return event", "attempt to index global 'io' (a nil value)"),
        ("require('os') return event", "attempt to call global 'require' (a nil value)"),
        ("loadstring('return 1')() return event", "attempt to call global 'loadstring' (a nil value)"),
        ("debug.sethook() return event", "attempt to index global 'debug' (a nil value)"),
        ("while true do end", f"the script ran more than {LUA_INSTRUCTIONS} Lua instructions"),
        ("while true do pcall(function() while true do end end) end", "Lua instructions"),
        ("local s = string.rep('x', 2^27) return event", "the script used more than"),
    ],
)
def test_a_script_runs_sandboxed_and_is_stopped(script: str, needle: str) -> None:
    with pytest.raises(TransformError) as e:
        transform_data({"script": script}, {"body": {}})
    assert needle in e.value.message


def test_a_script_cannot_change_the_shared_libraries_of_the_next_one() -> None:
    transform_data({"script": "string.upper = nil return event"}, {})
    assert transform_data({"script": "return {s = string.upper('ok')}"}, {}) == {"s": "OK"}


# -- on the running events part ------------------------------------------------------------------------------


def _only_sensor(rt: Runtime, url: str, transform: dict[str, Any], filters: dict[str, Any] | None = None) -> None:
    dep: dict[str, Any] = {"name": "push", "eventSourceName": "github", "eventName": "push", "transform": transform}
    if filters:
        dep["filters"] = filters
    payload = [
        {"src": {"dependencyName": "push", "dataKey": "body.commit"}, "dest": "commit"},
        {"src": {"dependencyName": "push", "dataKey": "body.files"}, "dest": "files"},
    ]
    only_sensor(
        rt, sensor("reshape", [dep], [{"template": {"name": "notify", "http": {"url": url, "payload": payload}}}], NS)
    )


def _push(rt: Runtime, **kw: Any) -> dict[str, Any]:
    """Post a push and return its Event (found by its commit: two events may share a creation second)."""
    payload = push_payload(**kw)
    assert post_github(rt.url("github", "push"), payload).status_code == 200
    wait_processed(rt)
    (event,) = [e for e in rt.store.list("Event", NS) if e["spec"]["data"]["body"]["after"] == payload["after"]]
    return event


def test_trigger_parameters_read_the_jq_transformed_event(runtime: Runtime, recorder: Recorder) -> None:
    jq = '{body: {commit: .body.after[0:7], files: (.body.head_commit.modified | join(","))}}'
    _only_sensor(runtime, recorder.url, {"jq": jq})
    event = _push(runtime, after="c0ffee" + "1" * 34, modified=["params.yaml", "train.py"])
    assert event["status"]["phase"] == "Triggered", event["status"]
    assert recorder.json_bodies() == [{"commit": "c0ffee1", "files": "params.yaml,train.py"}]
    assert event["spec"]["data"]["body"]["after"] == "c0ffee" + "1" * 34  # the recorded event keeps its data


def test_filters_see_the_script_transformed_event(runtime: Runtime, recorder: Recorder) -> None:
    script = """
        local files = {}
        for _, f in ipairs(event.body.head_commit.modified) do files[#files + 1] = f end
        local touches = "no"
        for _, f in ipairs(files) do if f == "params.yaml" then touches = "yes" end end
        return {body = {commit = string.sub(event.body.after, 1, 7), files = table.concat(files, ","),
                        params = touches}}
    """
    filters = {"data": [{"path": "body.params", "type": "string", "value": ["yes"]}]}
    _only_sensor(runtime, recorder.url, {"script": script}, filters)
    kept = _push(runtime, after="beef" + "2" * 36, modified=["params.yaml"])
    assert kept["status"]["phase"] == "Triggered", kept["status"]
    dropped = _push(runtime, after="dead" + "3" * 36, modified=["README.md"])
    assert dropped["status"]["phase"] == "Ignored"
    assert "reshape/push: data filter 0 did not match" in dropped["status"]["message"]
    assert recorder.json_bodies() == [{"commit": "beef222", "files": "params.yaml"}]


@pytest.mark.parametrize(
    ("transform", "needle"),
    [
        ({"jq": ".body.after"}, "reshape/push: transform.jq: jq transformation output must be a JSON object"),
        ({"script": "event.body.after = nil.x return event"}, "reshape/push: transform.script: script error"),
    ],
)
def test_a_failing_transform_fires_nothing_and_the_event_says_why(
    runtime: Runtime, recorder: Recorder, transform: dict[str, Any], needle: str
) -> None:
    _only_sensor(runtime, recorder.url, transform)
    event = _push(runtime)
    assert event["status"]["phase"] == "Ignored", event["status"]
    assert needle in event["status"]["message"]
    assert event["spec"]["data"]["body"]["ref"] == "refs/heads/main"  # recorded, not dropped
    assert recorder.requests == []


def test_a_script_filter_on_the_running_sensor_fires_only_for_what_it_returns_true_for(
    runtime: Runtime, recorder: Recorder
) -> None:
    jq = '{body: {commit: .body.after[0:7], files: (.body.head_commit.modified | join(","))}}'
    script = "for f in string.gmatch(event.body.files, '[^,]+') do if f == 'train.py' then return true end end"
    _only_sensor(runtime, recorder.url, {"jq": jq}, {"script": script})
    kept = _push(runtime, after="feed" + "4" * 36, modified=["train.py"])
    assert kept["status"]["phase"] == "Triggered", kept["status"]
    dropped = _push(runtime, after="face" + "5" * 36, modified=["README.md"])
    assert dropped["status"]["phase"] == "Ignored"
    assert "reshape/push: script filter did not return true" in dropped["status"]["message"]
    assert recorder.json_bodies() == [{"commit": "feed444", "files": "train.py"}]
