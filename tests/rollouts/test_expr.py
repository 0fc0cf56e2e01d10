"""Argo Rollouts condition expressions evaluate as expr-lang does for the forms templates use."""

from __future__ import annotations

import math

import pytest

from sluicegate.rollouts import ExprError, evaluate


@pytest.mark.parametrize(
    ("text", "result", "expected"),
    [
        ("result[0] >= 0.95", [0.97], True),
        ("len(result) > 0 && result[0] < 0.95", [], False),
        ("len(result) > 0 && !isNaN(result[0]) && result[0] >= 0.99", [math.nan], False),
        ("len(result) == 0 || result[0] > 1", [], True),
        ("isNaN(result[0])", [math.nan], True),
        ("result.ok && result.accuracy >= 0.9", {"ok": True, "accuracy": 0.91}, True),
        ("result == 'ok'", "ok", True),
        ("asFloat(result) * 2 > 1", "0.6", True),
        ("default(result.missing, 3) == 3", {"missing": None}, True),
        ("not (result[0] > 1) and result[0] != 0", [0.5], True),
        ("result[0] + 1 == 2 || false", [1], True),
        ("-result[0] < -1.5e0", [2], True),
        ("asInt(result[0]) % 2 == 1", ["3"], True),
        ("'a' in result", ["a", "b"], True),
        ("isInf(result[0])", [math.inf], True),
    ],
)
def test_evaluate_conditions(text: str, result: object, expected: bool) -> None:
    assert evaluate(text, result) is expected


def test_evaluate_args_both_forms() -> None:
    args = {"threshold": "0.9", "max-p99": "250"}
    assert evaluate("result[0] >= asFloat(args.threshold)", [0.95], args) is True
    assert evaluate("result[0] > asFloat(args['max-p99'])", [300.0], args) is True


@pytest.mark.parametrize(
    "text",
    ["result[0] > 1", "result[0] >", "unknown(1)", "result.x > 1 )", "result[0] > 'a'", "nope > 1", "1 $ 2"],
)
def test_evaluate_bad_expression_raises_expr_error(text: str) -> None:
    with pytest.raises(ExprError):
        evaluate(text, [])
