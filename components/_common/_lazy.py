"""Lazy re-exports for the component packages, so `python -m components.<name> --help` starts at once.

Called by the `__init__` of each component package. Importing mlflow and scikit-learn takes seconds;
a package re-exports its API through `__getattr__`, and the heavy module loads on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `where[name]` (a submodule of `package`) on first access."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
