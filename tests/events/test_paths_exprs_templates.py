"""The small languages Sensors are written in: gjson/sjson paths, govaluate expressions, Go templates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluicegate.eventing import MISSING, ExprError, TemplateError, evaluate, get_path, render, set_path

DOC = {
    "body": {
        "ref": "refs/heads/main",
        "commits": [{"id": "c1", "modified": ["a.py"]}, {"id": "c2", "modified": ["params.yaml", "b"]}],
        "a.b": 1,
        "X-GitHub-Event": "push",
    },
    "headers": {"X-Github-Event": ["push"]},
}


def test_get_path_reads_keys_indexes_counts_and_maps() -> None:
    assert get_path(DOC, "body.ref") == "refs/heads/main"
    assert get_path(DOC, "headers.X-Github-Event.0") == "push"
    assert get_path(DOC, "body.commits.#") == 2
    assert get_path(DOC, "body.commits.#.id") == ["c1", "c2"]
    assert get_path(DOC, "body.commits.1.modified.0") == "params.yaml"
    assert get_path(DOC, r"body.a\.b") == 1
    assert get_path(DOC, "body.X-Git*") == "push"
    assert get_path(DOC, "body.nope") is MISSING
    assert get_path(DOC, "body.commits.9") is MISSING


def test_set_path_writes_indexes_appends_and_creates() -> None:
    wf = {"spec": {"arguments": {"parameters": [{"name": "a", "value": ""}]}}}
    set_path(wf, "spec.arguments.parameters.0.value", "x")
    set_path(wf, "spec.arguments.parameters.-1", {"name": "b"})
    set_path(wf, "metadata.labels.team", "ml")
    assert wf["spec"]["arguments"]["parameters"] == [{"name": "a", "value": "x"}, {"name": "b"}]
    assert wf["metadata"] == {"labels": {"team": "ml"}}


@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.integers(), min_size=1))
def test_set_then_get_round_trips(values: dict[str, int]) -> None:
    doc: dict[str, object] = {}
    for key, value in values.items():
        set_path(doc, f"x.{key}", value)
    assert all(get_path(doc, f"x.{k}") == v for k, v in values.items())


def test_evaluate_follows_govaluate() -> None:
    params = {"ref": "refs/heads/main", "branch": "main", "deleted": False, "n": 3}
    assert evaluate('ref == "refs/heads/" + branch && deleted == false', params) is True
    assert evaluate("n > 2 && n <= 3 && !(n == 4)", params) is True
    assert evaluate("n * 2 + 1", params) == 7.0
    assert evaluate("ref =~ '^refs/tags/'", params) is False
    assert evaluate("n > 5 ? 'big' : 'small'", params) == "small"
    assert evaluate("[my-field] == 1", {"my-field": 1}) is True
    with pytest.raises(ExprError, match="no parameter"):
        evaluate("missing == 1", params)
    with pytest.raises(ExprError):
        evaluate("n >", params)
    with pytest.raises(ExprError, match="booleans"):
        evaluate("n && deleted", params)


def test_render_go_templates() -> None:
    data = {"Input": {"body": {"after": "0123456789abcdef", "m": {"b": 2, "a": 0.5}, "l": ["x", "y"]}}}
    assert render("{{ .Input.body.after | trunc 7 }}", data) == "0123456"
    assert render("{{ range $k, $v := .Input.body.m }}{{ $k }}={{ $v }};{{ end }}", data) == "a=0.5;b=2;"
    assert render("{{ if eq (len .Input.body.l) 2 }}two{{ else }}other{{ end }}", data) == "two"
    assert render('{{ printf "%s-%v" .Input.body.after 1 | upper }}', data) == "0123456789ABCDEF-1"
    assert render("{{ .Input.nope }}", data) == "<no value>"
    assert render('{{ .Input.nope | default "d" }} {{ .Input.body.l | toJson }}', data) == 'd ["x","y"]'
    assert render("a {{- range .Input.body.l }} {{ . }}{{ end -}} b", data) == "a x yb"
    with pytest.raises(TemplateError, match="not defined"):
        render("{{ nosuchfunc 1 }}", data)
    with pytest.raises(TemplateError, match="missing"):
        render("{{ if true }}x", data)
