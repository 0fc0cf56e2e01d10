"""The engine package's public names: `__all__` sorted and complete."""

from __future__ import annotations

import sluicegate.engine as engine


def test_engine_all_is_sorted_and_resolves() -> None:
    assert engine.__all__ == sorted(engine.__all__)
    for name in engine.__all__:
        assert hasattr(engine, name), name
    public = {n for n in vars(engine) if not n.startswith("_") and n not in ("annotations",)}
    assert public - set(engine.__all__) <= {"testing"}
