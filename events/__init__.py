"""Declarative events definitions of Sluicegate; imported only by `sluice render`.

`manifests()` returns every document this package defines, as plain dicts ready for YAML.
"""

from __future__ import annotations

from typing import Any

__all__ = ["manifests"]


def manifests() -> list[dict[str, Any]]:
    """Every document this package defines."""
    return []
