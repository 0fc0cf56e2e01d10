"""Template tags: `{{name}}` from the scope, `{{=expr}}` through the expression language, unresolved kept."""

from __future__ import annotations

import pytest

from sluicegate.engine import ExprError
from sluicegate.engine._template import substitute_str


def test_substitute_simple_and_expression_tags() -> None:
    scope = {"inputs.parameters.n": "3", "workflow.name": "wf"}
    assert substitute_str("{{workflow.name}}-{{ inputs.parameters.n }}", scope) == "wf-3"
    assert substitute_str("{{=asInt(inputs.parameters.n) * 2}}", scope) == "6"
    assert substitute_str("{{steps.later.outputs.result}}", scope) == "{{steps.later.outputs.result}}"


def test_substitute_strict_raises_on_unresolved_tag() -> None:
    with pytest.raises(ExprError, match="failed to resolve"):
        substitute_str("{{inputs.parameters.missing}}", {}, strict=True)
