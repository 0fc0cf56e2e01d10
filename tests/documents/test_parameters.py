"""`NAME=VALUE` parameters: one parser and Argo's override, for the CLI, the API, the controller and the triggers."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.documents import override_parameters, parameter_pairs
from sluicegate.errors import ConfigError, ManifestError


def test_pairs_split_on_the_first_equals_sign_and_keep_the_order_given() -> None:
    assert list(parameter_pairs(["b=2", "expr=a=b", "empty=", "a=1"], where="p").items()) == [
        ("b", "2"),
        ("expr", "a=b"),
        ("empty", ""),
        ("a", "1"),
    ]
    assert parameter_pairs(None, where="p") == {} == parameter_pairs("", where="p")


@pytest.mark.parametrize("bad", [["model-name"], ["=v"], [3]])
def test_a_pair_without_a_name_and_value_is_refused_naming_the_entry(bad: list[Any]) -> None:
    with pytest.raises(ManifestError, match=r"expected parameter of the form: NAME=VALUE") as refused:
        parameter_pairs(["ok=1", *bad], where="parameters", indexed=True)
    assert refused.value.where == "parameters[1]"
    with pytest.raises(ConfigError) as cli:
        parameter_pairs(bad, where="-p/--parameter", error=ConfigError)
    assert cli.value.where == "-p/--parameter"


def test_a_list_of_something_else_is_refused() -> None:
    with pytest.raises(ManifestError, match="must be a list of NAME=VALUE strings"):
        parameter_pairs({"a": "1"}, where="parameters")


def test_override_puts_the_given_first_then_the_workflows_others_as_argo_does() -> None:
    spec: dict[str, Any] = {
        "arguments": {
            "parameters": [
                {"name": "a", "value": "1"},
                {"name": "b", "value": "2", "enum": ["2", "3"]},
                {"name": "c", "value": "3"},
            ]
        }
    }
    override_parameters(spec, {"new": "x", "b": "3"})
    assert spec["arguments"]["parameters"] == [
        {"name": "new", "value": "x"},
        {"name": "b", "value": "3"},  # as Argo: replaced by {name, value} alone
        {"name": "a", "value": "1"},
        {"name": "c", "value": "3"},
    ]


def test_override_without_parameters_leaves_the_spec_alone() -> None:
    spec: dict[str, Any] = {"entrypoint": "main"}
    override_parameters(spec, {})
    assert spec == {"entrypoint": "main"}
