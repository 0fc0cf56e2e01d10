"""The api package's public names: `__all__` sorted and complete."""

from __future__ import annotations

import sluicegate.api as api_package


def test_api_all_is_sorted_and_resolves() -> None:
    assert api_package.__all__ == sorted(api_package.__all__)
    for name in api_package.__all__:
        assert hasattr(api_package, name), name
    public = {n for n in vars(api_package) if not n.startswith("_") and n != "annotations"}
    assert public <= set(api_package.__all__)
