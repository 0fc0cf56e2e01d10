"""Every public package of this area declares a sorted, complete `__all__`."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize("name", ["events", "sluicegate.eventing", "components.relay"])
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical
    assert exported == sorted(exported, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and not inspect.ismodule(v) and n not in ("annotations", "Any")
    }
    assert public <= set(exported), f"{name} does not export {sorted(public - set(exported))}"
    assert all(hasattr(module, n) for n in exported)
