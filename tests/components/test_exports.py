"""Each component package has a sorted (RUF022) `__all__` whose every name resolves, lazy ones too."""

import importlib

import pytest

PACKAGES = [
    "components._common",
    "components.train",
    "components.evaluate",
    "components.build",
    "components.stress_test",
    "components.project",
    "components.httpguard",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_exports_sorted_and_resolvable(name: str) -> None:
    module = importlib.import_module(name)
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical
    assert module.__all__ == sorted(module.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    for attr in module.__all__:
        assert getattr(module, attr) is not None, attr


def test_exports_unknown_name_is_attribute_error() -> None:
    module = importlib.import_module("components.train")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018
