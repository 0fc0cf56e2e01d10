"""Dependency filters and trigger parameters behave as in Argo Events."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.errors import ManifestError
from sluicegate.eventing import apply_parameters, filter_event, resolve_parameter
from sluicegate.eventing._model import EventDependency, TriggerParameter, TriggerParameterSource
from tests.events.conftest import push_payload

CONTEXT = {"id": "1", "source": "github", "subject": "push", "type": "github"}


def _data(**kw: Any) -> dict[str, Any]:
    body = push_payload(**kw)
    body["X-GitHub-Event"] = "push"
    return {"headers": {"X-Github-Event": ["push"]}, "body": body, "metadata": {}}


def _dep(filters: dict[str, Any], op: str = "and") -> EventDependency:
    return EventDependency.model_validate(
        {
            "name": "d",
            "eventSourceName": "github",
            "eventName": "push",
            "filters": filters,
            "filtersLogicalOperator": op,
        }
    )


def test_data_filters_match_regex_bool_and_number() -> None:
    data = _data()
    ok = _dep({"data": [{"path": "body.ref", "type": "string", "value": ["heads/main$"]}]})
    assert filter_event(ok, CONTEXT, data) == (True, "")
    assert filter_event(_dep({"data": [{"path": "body.deleted", "type": "bool", "value": ["false"]}]}), CONTEXT, data)[
        0
    ]
    count = {"path": "body.commits.#", "type": "number", "value": ["1"], "comparator": ">="}
    assert filter_event(_dep({"data": [count]}), CONTEXT, data)[0]
    not_main = {"path": "body.ref", "type": "string", "value": ["main"], "comparator": "!="}
    assert not filter_event(_dep({"data": [not_main]}), CONTEXT, data)[0]


def test_missing_path_fails_the_filter_with_a_reason() -> None:
    passed, why = filter_event(
        _dep({"data": [{"path": "body.nope", "type": "string", "value": ["x"]}]}), CONTEXT, _data()
    )
    assert not passed and "path 'body.nope' does not exist" in why


def test_or_operators_and_context_filter() -> None:
    data = _data(modified=["README.md"], added=["components/x.py"])
    files = [
        {"path": f"body.commits.#.{k}", "type": "string", "value": ['"components/[^"]*"']}
        for k in ("added", "modified")
    ]
    assert filter_event(_dep({"data": files, "dataLogicalOperator": "or"}), CONTEXT, data)[0]
    assert not filter_event(_dep({"data": files}), CONTEXT, data)[0]  # and: modified has none
    ctx_bad = {"context": {"type": "webhook"}, "data": files[:1]}
    assert filter_event(_dep(ctx_bad, op="or"), CONTEXT, data)[0]
    assert not filter_event(_dep(ctx_bad), CONTEXT, data)[0]


def test_template_filter_gets_the_path_value_as_input() -> None:
    f = {"path": "body.after", "type": "string", "value": ["^aaaa$"], "template": "{{ .Input | trunc 4 }}"}
    assert filter_event(_dep({"data": [f]}), CONTEXT, _data())[0]


def test_parameters_resolve_keys_templates_context_and_defaults() -> None:
    events = {"push": {"context": CONTEXT, "data": _data(after="f" * 40)}}

    def src(**kw: Any) -> TriggerParameterSource:
        return TriggerParameterSource.model_validate({"dependencyName": "push", **kw})

    assert resolve_parameter(src(dataKey="body.after"), events) == "f" * 40
    assert resolve_parameter(src(dataKey="body.commits.#"), events) == "1"
    assert resolve_parameter(src(dataKey="body.commits.#", useRawData=True), events) == 1
    assert resolve_parameter(src(contextKey="source"), events) == "github"
    assert resolve_parameter(src(dataTemplate="{{ .Input.body.after | trunc 3 }}"), events) == "fff"
    assert resolve_parameter(src(dataKey="body.nope", value="dflt"), events) == "dflt"
    assert resolve_parameter(src(dataTemplate="{{ .Input.nope }}", value="dflt"), events) == "dflt"
    with pytest.raises(ManifestError, match="not found"):
        resolve_parameter(src(dataKey="body.nope"), events)


def test_apply_parameters_overwrites_appends_and_prepends() -> None:
    events = {"e": {"context": CONTEXT, "data": {"body": {"a": "x"}}}}
    doc = {"message": "hello", "list": [{"value": ""}]}
    params = [
        TriggerParameter.model_validate(
            {"src": {"dependencyName": "e", "dataKey": "body.a"}, "dest": d, "operation": op}
        )
        for d, op in (("list.0.value", "overwrite"), ("message", "append"), ("new", "prepend"))
    ]
    assert apply_parameters(doc, params, events) == {"message": "hellox", "list": [{"value": "x"}], "new": "x"}
