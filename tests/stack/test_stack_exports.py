"""The stack package's public names: `__all__` sorted and complete (some load lazily)."""

from __future__ import annotations

import sluicegate.stack as stack_package


def test_stack_all_is_sorted_and_resolves() -> None:
    assert stack_package.__all__ == sorted(stack_package.__all__)
    for name in stack_package.__all__:
        assert getattr(stack_package, name) is not None, name
    public = {
        n
        for n in vars(stack_package)
        if not n.startswith("_") and n not in ("annotations", "importlib", "Any", "TYPE_CHECKING")
    }
    assert public <= set(stack_package.__all__)
