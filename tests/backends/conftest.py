"""Backend tests: cluster-only tests (`@pytest.mark.on_cluster`) are skipped unless SLUICE_TEST_CLUSTER is set.

The local API fixtures (`local_api`, `local_stack`) live in tests/conftest.py.

SLUICE_TEST_CLUSTER names a kubeconfig context of a cluster with the Argo stack installed
(infra/terraform); SLUICE_TEST_ARGO_SERVER / SLUICE_TEST_ARGO_TOKEN its Argo Server. None exists here.
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("SLUICE_TEST_CLUSTER"):
        return
    skip = pytest.mark.skip(reason="needs a cluster: set SLUICE_TEST_CLUSTER=<context> (see docs/cluster.md)")
    for item in items:
        if "on_cluster" in item.keywords:
            item.add_marker(skip)
