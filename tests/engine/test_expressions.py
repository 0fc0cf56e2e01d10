"""The expression evaluator: expr-lang subset, sprig/Argo functions, govaluate-style `when`."""

from __future__ import annotations

import json

import pytest

from sluicegate.engine import ExprError, evaluate, evaluate_bool, evaluate_when
from sluicegate.engine._template import substitute_str


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("7 % 4", 3),
        ("2 ** 3", 8.0),
        ("'a' + 'b'", "ab"),
        ("1 < 2 && 2 <= 2", True),
        ("!(1 == 1) || false", False),
        ("not true", False),
        ("'b' in ['a', 'b']", True),
        ("'x' not in ['a']", True),
        ("'hello' contains 'ell'", True),
        ("'hello' startsWith 'he' and 'hello' endsWith 'lo'", True),
        ("'abc' matches '^a.c$'", True),
        ("true ? 'y' : 'n'", "y"),
        ("nil ?? 'fallback'", "fallback"),
        ("[1, 2, 3][1]", 2),
        ("[1, 2, 3][1:]", [2, 3]),
        ("{a: 1}.a", 1),
        ("len([1, 2])", 2),
        ("map([1, 2], {# * 10})", [10, 20]),
        ("filter([1, 2, 3], {# > 1})", [2, 3]),
        ("all([1, 2], {# > 0})", True),
    ],
)
def test_evaluate_operators_give_expr_lang_results(expr: str, expected: object) -> None:
    assert evaluate(expr, {}) == expected


def test_evaluate_reads_nested_env_and_hyphenated_keys() -> None:
    env = {"inputs": {"parameters": {"my-param": "5", "x": "2"}}}
    assert evaluate("asInt(inputs.parameters['my-param']) + asInt(inputs.parameters.x)", env) == 7
    assert evaluate("asFloat('1.5') * 2", env) == 3.0


def test_evaluate_sprig_functions() -> None:
    assert evaluate("sprig.upper('abc')", {}) == "ABC"
    assert evaluate("sprig.trim('  x ')", {}) == "x"
    assert evaluate("sprig.replace('a', 'b', 'aaa')", {}) == "bbb"
    assert evaluate("sprig.add(1, 2, 3)", {}) == 6
    assert evaluate("sprig.default('d', '')", {}) == "d"


def test_evaluate_jsonpath_queries() -> None:
    doc = json.dumps({"a": {"b": [{"n": "x", "v": 1}, {"n": "y", "v": 2}]}})
    assert evaluate("jsonpath(d, '$.a.b[1].v')", {"d": doc}) == 2
    assert evaluate("jsonpath(d, '$.a.b[*].n')", {"d": doc}) == ["x", "y"]
    assert evaluate("jsonpath(d, '$.a.b[?(@.v > 1)].n')", {"d": doc}) == ["y"]


def test_evaluate_nil_coalescing_covers_missing_member() -> None:
    assert evaluate("tasks.a.outputs ?? 'none'", {"tasks": {"a": {}}}) == "none"


def test_evaluate_unknown_name_raises() -> None:
    with pytest.raises(ExprError, match="unknown name"):
        evaluate("nope + 1", {})


def test_evaluate_syntax_error_raises() -> None:
    with pytest.raises(ExprError):
        evaluate("1 +", {})


def test_evaluate_bool_rejects_non_boolean() -> None:
    with pytest.raises(ExprError, match="boolean"):
        evaluate_bool("1 + 1", {})


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("heads == heads", True),
        ("tails == heads", False),
        ("5 > 3", True),
        ("hello != world && 1 < 2", True),
        ("'a b' == 'a b'", True),
        ("true", True),
        ("", True),
    ],
)
def test_evaluate_when_treats_bare_words_as_strings(when: str, expected: bool) -> None:
    assert evaluate_when(when) is expected


def test_evaluate_when_non_boolean_raises() -> None:
    with pytest.raises(ExprError, match="Expected boolean"):
        evaluate_when("heads")


def test_substitute_simple_and_expression_tags() -> None:
    scope = {"inputs.parameters.n": "3", "workflow.name": "wf"}
    assert substitute_str("{{workflow.name}}-{{ inputs.parameters.n }}", scope) == "wf-3"
    assert substitute_str("{{=asInt(inputs.parameters.n) * 2}}", scope) == "6"
    assert substitute_str("{{steps.later.outputs.result}}", scope) == "{{steps.later.outputs.result}}"


def test_substitute_strict_raises_on_unresolved_tag() -> None:
    with pytest.raises(ExprError, match="failed to resolve"):
        substitute_str("{{inputs.parameters.missing}}", {}, strict=True)
