"""Fixtures for the engine tests: one running controller per test module, and a workflow builder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sluicegate.engine.testing import LocalEngine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    """A real controller over a fresh store in a temporary SLUICE_HOME."""
    with LocalEngine(tmp_path_factory.mktemp("engine")) as eng:
        yield eng


def workflow(entrypoint: str, *templates: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """A Workflow document with the given templates."""
    return {
        "metadata": {"generateName": "t-"},
        "spec": {"entrypoint": entrypoint, "templates": list(templates), **spec},
    }


def sh(name: str, script: str, **extra: Any) -> dict[str, Any]:
    """A busybox container template running `sh -c script`."""
    return {"name": name, "container": {"image": "busybox", "command": ["sh", "-c"], "args": [script]}, **extra}


def nodes_by_display(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Nodes keyed by displayName."""
    return {n["displayName"]: n for n in doc["status"]["nodes"].values()}


def apply_config_map(engine: LocalEngine, name: str, data: dict[str, str], namespace: str = "argo") -> None:
    """Store (create or replace) a ConfigMap in the engine's store."""
    meta = {"name": name, "namespace": namespace}
    engine.store.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
