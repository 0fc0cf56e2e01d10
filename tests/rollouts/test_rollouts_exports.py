"""The rollout packages export a sorted `__all__` naming every public member of their private modules."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = ["sluicegate.rollouts", "sluicegate.documents", "rollouts", "components.serve"]


def _ruf022(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: (not n.isupper(), not n[0].isupper(), n))


@pytest.mark.parametrize("name", PACKAGES)
def test_exports_sorted_and_resolvable(name: str) -> None:
    package = importlib.import_module(name)
    assert package.__all__ == _ruf022(package.__all__)
    for attr in package.__all__:
        assert getattr(package, attr) is not None, attr


@pytest.mark.parametrize("name", PACKAGES)
def test_private_modules_declare_all_sorted(name: str) -> None:
    package = importlib.import_module(name)
    for module_name in [m for m in dir(package) if m.startswith("_") and not m.startswith("__")]:
        module = getattr(package, module_name)
        if not inspect.ismodule(module):
            continue
        assert module.__all__ == _ruf022(module.__all__), module_name
        public = {
            n
            for n, v in vars(module).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
        }
        assert public <= set(module.__all__), (module_name, public - set(module.__all__))
