"""One conformance table for the languages of `sluicegate.lang`: each row is a dialect, a text, its input
and what Argo gives (a value, or an `ExprError`/`TemplateError` whose message says what was wrong).

Dialects: `expr` (expr-lang of Argo Workflows), `when` (govaluate `when`, bare words as strings),
`condition` (Argo Rollouts metric conditions over `result` and `args`), `govaluate` (Argo Events filters),
`template` (Go templates with sprig), `gjson` (Argo Events paths), `lookup` (resource condition paths),
`jsonpath` (JSONPath), `duration` (with the unit a bare number has in the field), `text-expr` and
`text-gjson` (the string form of a value in expr-lang and in gjson, the two ways Argo prints values).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluicegate.errors import ExprError, SluiceError
from sluicegate.lang import (
    EXPR,
    GJSON,
    MISSING,
    TemplateError,
    evaluate,
    evaluate_bool,
    evaluate_condition,
    evaluate_govaluate,
    evaluate_when,
    get_path,
    jsonpath,
    lookup,
    parse_duration,
    render,
    set_path,
    text_of,
)


@dataclass(frozen=True)
class Raises:
    """The row's text fails: an error of `kind` whose message matches `match`."""

    match: str | None = None
    kind: type[Exception] = ExprError


DOC = {
    "body": {
        "ref": "refs/heads/main",
        "commits": [{"id": "c1", "modified": ["a.py"]}, {"id": "c2", "modified": ["params.yaml", "b"]}],
        "a.b": 1,
        "X-GitHub-Event": "push",
    },
    "headers": {"X-Github-Event": ["push"]},
}
JSON_DOC = json.dumps({"a": {"b": [{"n": "x", "v": 1}, {"n": "y", "v": 2}]}})
TEMPLATE_DATA = {"Input": {"body": {"after": "0123456789abcdef", "m": {"b": 2, "a": 0.5}, "l": ["x", "y"]}}}
GOV_PARAMS = {"ref": "refs/heads/main", "branch": "main", "deleted": False, "n": 3}
K8S_OBJ = {"status": {"conditions": [{"type": "Ready"}]}, "metadata": {"annotations": {"a.b/c": "v"}}}


def _expr(text: str, env: Any) -> Any:
    return evaluate(text, env or {})


def _expr_bool(text: str, env: Any) -> Any:
    return evaluate_bool(text, env or {})


def _condition(text: str, given_: Any) -> Any:
    result, args = given_ if isinstance(given_, tuple) else (given_, None)
    return evaluate_condition(text, result, args)


def _duration(text: Any, unit: Any) -> Any:
    return parse_duration(text, **unit)


DIALECTS: dict[str, Callable[[Any, Any], Any]] = {
    "expr": _expr,
    "expr-bool": _expr_bool,
    "when": lambda text, _: evaluate_when(text),
    "condition": _condition,
    "govaluate": evaluate_govaluate,
    "template": lambda text, data: render(text, data),
    "gjson": lambda path, doc: get_path(doc, path),
    "lookup": lambda path, doc: lookup(doc, path),
    "jsonpath": lambda path, doc: jsonpath(doc, path),
    "duration": _duration,
    "text-expr": lambda value, _: text_of(value, EXPR),
    "text-gjson": lambda value, _: text_of(value, GJSON),
}
SECONDS = {"bare": "s"}
ENGINE = {"bare": "s", "empty": 0.0, "days": True}
NANOSECONDS = {"bare": "ns"}

CASES: list[tuple[str, Any, Any, Any]] = [
    # expr-lang (Argo Workflows `{{=...}}`, depends, retry expressions)
    ("expr", "1 + 2 * 3", None, 7),
    ("expr", "(1 + 2) * 3", None, 9),
    ("expr", "7 / 2", None, 3.5),
    ("expr", "7 % 4", None, 3),
    ("expr", "2 ** 3", None, 8.0),
    ("expr", "'a' + 'b'", None, "ab"),
    ("expr", "1 < 2 && 2 <= 2", None, True),
    ("expr", "!(1 == 1) || false", None, False),
    ("expr", "not true", None, False),
    ("expr", "'b' in ['a', 'b']", None, True),
    ("expr", "'x' not in ['a']", None, True),
    ("expr", "'hello' contains 'ell'", None, True),
    ("expr", "'hello' startsWith 'he' and 'hello' endsWith 'lo'", None, True),
    ("expr", "'abc' matches '^a.c$'", None, True),
    ("expr", "true ? 'y' : 'n'", None, "y"),
    ("expr", "nil ?? 'fallback'", None, "fallback"),
    ("expr", "[1, 2, 3][1]", None, 2),
    ("expr", "[1, 2, 3][1:]", None, [2, 3]),
    ("expr", "[1, 2, 3][:2]", None, [1, 2]),
    ("expr", "[1, 2, 3][1:2]", None, [2]),
    ("expr", "{a: 1}.a", None, 1),
    ("expr", "len([1, 2])", None, 2),
    ("expr", "map([1, 2], {# * 10})", None, [10, 20]),
    ("expr", "filter([1, 2, 3], {# > 1})", None, [2, 3]),
    ("expr", "all([1, 2], {# > 0})", None, True),
    ("expr", "asInt(inputs.parameters['my-param']) + asInt(inputs.parameters.x)",
     {"inputs": {"parameters": {"my-param": "5", "x": "2"}}}, 7),
    ("expr", "asFloat('1.5') * 2", None, 3.0),
    ("expr", "sprig.upper('abc')", None, "ABC"),
    ("expr", "sprig.trim('  x ')", None, "x"),
    ("expr", "sprig.replace('a', 'b', 'aaa')", None, "bbb"),
    ("expr", "sprig.add(1, 2, 3)", None, 6),
    ("expr", "sprig.default('d', '')", None, "d"),
    ("expr", "jsonpath(d, '$.a.b[1].v')", {"d": JSON_DOC}, 2),
    ("expr", "jsonpath(d, '$.a.b[*].n')", {"d": JSON_DOC}, ["x", "y"]),
    ("expr", "jsonpath(d, '$.a.b[?(@.v > 1)].n')", {"d": JSON_DOC}, ["y"]),
    ("expr", "tasks.a.outputs ?? 'none'", {"tasks": {"a": {}}}, "none"),
    ("expr", "nope + 1", None, Raises("unknown name")),
    ("expr", "1 +", None, Raises()),
    ("expr", "1 @ 2", None, Raises("unexpected character")),
    ("expr-bool", "1 + 1", None, Raises("boolean")),
    # govaluate `when` (after substitution; bare words are strings)
    ("when", "heads == heads", None, True),
    ("when", "tails == heads", None, False),
    ("when", "5 > 3", None, True),
    ("when", "hello != world && 1 < 2", None, True),
    ("when", "'a b' == 'a b'", None, True),
    ("when", "true", None, True),
    ("when", "", None, True),
    ("when", "heads", None, Raises("Expected boolean")),
    ("when", "v1.2 == v1.2 and asInt('5') > 3", None, True),
    # Argo Rollouts conditions
    ("condition", "result[0] >= 0.95", [0.97], True),
    ("condition", "len(result) > 0 && result[0] < 0.95", [], False),
    ("condition", "len(result) > 0 && !isNaN(result[0]) && result[0] >= 0.99", [math.nan], False),
    ("condition", "len(result) == 0 || result[0] > 1", [], True),
    ("condition", "isNaN(result[0])", [math.nan], True),
    ("condition", "result.ok && result.accuracy >= 0.9", {"ok": True, "accuracy": 0.91}, True),
    ("condition", "result == 'ok'", "ok", True),
    ("condition", "asFloat(result) * 2 > 1", "0.6", True),
    ("condition", "default(result.missing, 3) == 3", {"missing": None}, True),
    ("condition", "not (result[0] > 1) and result[0] != 0", [0.5], True),
    ("condition", "result[0] + 1 == 2 || false", [1], True),
    ("condition", "-result[0] < -1.5e0", [2], True),
    ("condition", "asInt(result[0]) % 2 == 1", ["3"], True),
    ("condition", "'a' in result", ["a", "b"], True),
    ("condition", "result[0] in [1, 2]", [2], True),
    ("condition", "isInf(result[0])", [math.inf], True),
    ("condition", "result[0] >= asFloat(args.threshold)", ([0.95], {"threshold": "0.9"}), True),
    ("condition", "result[0] > asFloat(args['max-p99'])", ([300.0], {"max-p99": "250"}), True),
    ("condition", "result[0] > 1", [], Raises()),
    ("condition", "result[0] >", [], Raises()),
    ("condition", "unknown(1)", [], Raises("unknown function")),
    ("condition", "result.x > 1 )", [], Raises()),
    ("condition", "result[0] > 'a'", [], Raises()),
    ("condition", "nope > 1", [], Raises("unknown name")),
    ("condition", "1 $ 2", [], Raises("unexpected character")),
    ("condition", "result[0] < .5", [0.25], True),
    ("condition", "!result || result[0] > 1", [], True),
    ("condition", "result.nope == nil", {"ok": True}, Raises("cannot index dict")),
    ("condition", "result[0] % 2", [5.5], 1.5),
    ("condition", "result == 1", True, True),
    ("condition", "result ?? 1", None, Raises("unexpected character")),
    ("condition", "toJson(result)", [], Raises("unknown function")),
    # govaluate (Argo Events `exprs` filters)
    ("govaluate", 'ref == "refs/heads/" + branch && deleted == false', GOV_PARAMS, True),
    ("govaluate", "n > 2 && n <= 3 && !(n == 4)", GOV_PARAMS, True),
    ("govaluate", "n * 2 + 1", GOV_PARAMS, 7.0),
    ("govaluate", "ref =~ '^refs/tags/'", GOV_PARAMS, False),
    ("govaluate", "n > 5 ? 'big' : 'small'", GOV_PARAMS, "small"),
    ("govaluate", "[my-field] == 1", {"my-field": 1}, True),
    ("govaluate", "missing == 1", GOV_PARAMS, Raises("no parameter")),
    ("govaluate", "n >", GOV_PARAMS, Raises()),
    ("govaluate", "n && deleted", GOV_PARAMS, Raises("booleans")),
    ("govaluate", "n $ 1", GOV_PARAMS, Raises("unexpected character")),
    ("govaluate", "false && missing", GOV_PARAMS, Raises("no parameter")),
    ("govaluate", "n > 5 ? missing : 'small'", GOV_PARAMS, Raises("no parameter")),
    ("govaluate", "nil == 1", GOV_PARAMS, Raises("no parameter 'nil'")),
    ("govaluate", "n in branch", GOV_PARAMS, Raises()),
    # Go templates with sprig
    ("template", "{{ .Input.body.after | trunc 7 }}", TEMPLATE_DATA, "0123456"),
    ("template", "{{ range $k, $v := .Input.body.m }}{{ $k }}={{ $v }};{{ end }}", TEMPLATE_DATA, "a=0.5;b=2;"),
    ("template", "{{ if eq (len .Input.body.l) 2 }}two{{ else }}other{{ end }}", TEMPLATE_DATA, "two"),
    ("template", '{{ printf "%s-%v" .Input.body.after 1 | upper }}', TEMPLATE_DATA, "0123456789ABCDEF-1"),
    ("template", "{{ .Input.nope }}", TEMPLATE_DATA, "<no value>"),
    ("template", '{{ .Input.nope | default "d" }} {{ .Input.body.l | toJson }}', TEMPLATE_DATA, 'd ["x","y"]'),
    ("template", "a {{- range .Input.body.l }} {{ . }}{{ end -}} b", TEMPLATE_DATA, "a x yb"),
    ("template", "{{ nosuchfunc 1 }}", TEMPLATE_DATA, Raises("not defined", TemplateError)),
    ("template", "{{ if true }}x", TEMPLATE_DATA, Raises("missing", TemplateError)),
    ("template", "{{ .Input ~ }}", TEMPLATE_DATA, Raises("cannot parse", TemplateError)),
    # gjson paths (Argo Events)
    ("gjson", "body.ref", DOC, "refs/heads/main"),
    ("gjson", "headers.X-Github-Event.0", DOC, "push"),
    ("gjson", "body.commits.#", DOC, 2),
    ("gjson", "body.commits.#.id", DOC, ["c1", "c2"]),
    ("gjson", "body.commits.1.modified.0", DOC, "params.yaml"),
    ("gjson", r"body.a\.b", DOC, 1),
    ("gjson", "body.X-Git*", DOC, "push"),
    ("gjson", "body.nope", DOC, MISSING),
    ("gjson", "body.commits.9", DOC, MISSING),
    # resource condition and jsonPath-output paths (the gjson walk, with [n] indexes)
    ("lookup", "status.conditions[0].type", K8S_OBJ, "Ready"),
    ("lookup", ".status.conditions.0.type", K8S_OBJ, "Ready"),
    ("lookup", r"metadata.annotations.a\.b/c", K8S_OBJ, "v"),
    ("lookup", "status.phase", K8S_OBJ, MISSING),
    ("lookup", "status.conditions[3]", K8S_OBJ, MISSING),
    # JSONPath (expr's jsonpath(), web metrics)
    ("jsonpath", "$.a.b[1].v", JSON_DOC, 2),
    ("jsonpath", "$.a.b[-1].n", JSON_DOC, "y"),
    ("jsonpath", "$.a.b[*].n", JSON_DOC, ["x", "y"]),
    ("jsonpath", "$['a']['b'][0]['v']", JSON_DOC, 1),
    ("jsonpath", "$.a.b[0:1]", JSON_DOC, [{"n": "x", "v": 1}]),
    ("jsonpath", "$.a.zz", JSON_DOC, Raises("matched nothing")),
    ("jsonpath", "$.a.b[5]", JSON_DOC, Raises("out of range")),
    ("jsonpath", "$.a", "not json", Raises("not JSON")),
    # durations: Go forms everywhere; a bare number in the field's unit
    ("duration", 10, SECONDS, 10.0),
    ("duration", "10", SECONDS, 10.0),
    ("duration", "500ms", SECONDS, 0.5),
    ("duration", "2s", SECONDS, 2.0),
    ("duration", "5m", SECONDS, 300.0),
    ("duration", "1h30m", SECONDS, 5400.0),
    ("duration", "1.5h", SECONDS, 5400.0),
    ("duration", "soon", SECONDS, Raises("not a duration")),
    ("duration", "", SECONDS, Raises("not a duration")),
    ("duration", "1d", SECONDS, Raises("not a duration")),
    ("duration", "1d", ENGINE, 86400.0),
    ("duration", "", ENGINE, 0.0),
    ("duration", "1m30s", ENGINE, 90.0),
    ("duration", 500_000_000, NANOSECONDS, 0.5),
    ("duration", "1000000000", NANOSECONDS, 1.0),
    ("duration", "3m", NANOSECONDS, 180.0),
    ("duration", "2x", NANOSECONDS, Raises("not a duration")),
    # the string form of a value: the same in both dialects but for large whole floats and MISSING
    ("text-expr", "s", None, "s"),
    ("text-gjson", "s", None, "s"),
    ("text-expr", True, None, "true"),
    ("text-gjson", False, None, "false"),
    ("text-expr", None, None, ""),
    ("text-gjson", None, None, ""),
    ("text-expr", 3.0, None, "3"),
    ("text-gjson", 3.0, None, "3"),
    ("text-expr", 2.5, None, "2.5"),
    ("text-expr", {"a": [1, 2]}, None, '{"a":[1,2]}'),
    ("text-gjson", {"a": [1, 2]}, None, '{"a":[1,2]}'),
    ("text-expr", 1e16, None, "1e+16"),
    ("text-gjson", 1e16, None, "10000000000000000"),
    ("text-gjson", 1e21, None, "1e+21"),
    ("text-gjson", MISSING, None, ""),
]  # fmt: skip


@pytest.mark.parametrize(("dialect", "text", "given_", "expected"), CASES)
def test_the_languages_give_what_argo_gives(dialect: str, text: Any, given_: Any, expected: Any) -> None:
    run = DIALECTS[dialect]
    if isinstance(expected, Raises):
        with pytest.raises(expected.kind, match=expected.match):
            run(text, given_)
    elif isinstance(expected, bool) or expected is MISSING:
        assert run(text, given_) is expected
    else:
        assert run(text, given_) == expected


def test_every_expression_error_is_one_sluice_error() -> None:
    cases = [("expr", "1 +", None), ("condition", "1 +", []), ("govaluate", "n >", GOV_PARAMS)]
    for dialect, text, given_ in [*cases, ("template", "{{ end }}", {})]:
        with pytest.raises(ExprError) as caught:
            DIALECTS[dialect](text, given_)
        assert isinstance(caught.value, SluiceError) and isinstance(caught.value, ValueError)


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
