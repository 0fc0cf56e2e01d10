"""Against a real cluster with the Argo stack (infra/terraform). Skipped unless SLUICE_TEST_CLUSTER is set.

Not run on the development machines (no cluster there); run them after `terraform apply`:
    SLUICE_TEST_CLUSTER=$(kubectl config current-context) SLUICE_TEST_ARGO_SERVER=http://127.0.0.1:2746 \\
    SLUICE_TEST_ARGO_TOKEN=$TOKEN .venv/bin/pytest -q -m on_cluster tests/backends
"""

import os
from pathlib import Path

import pytest

from sluicegate.backends import ArgoServer, ClusterBackend, connect
from sluicegate.manifests import rendered_documents

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.on_cluster


@pytest.fixture(scope="module")
def cluster() -> ClusterBackend:
    context = os.environ["SLUICE_TEST_CLUSTER"]
    server = os.environ.get("SLUICE_TEST_ARGO_SERVER")
    argo = ArgoServer(server, os.environ.get("SLUICE_TEST_ARGO_TOKEN", "")) if server else None
    return ClusterBackend(connect(context), context, argo)


def test_server_dry_run_stores_nothing(cluster):
    docs = rendered_documents(REPO / "manifests")
    results = cluster.apply(docs, dry_run=True)
    assert len(results) == len(docs)
    again = cluster.apply(docs, dry_run=True)
    assert [r.action for r in again] == [r.action for r in results]


def test_apply_twice_is_unchanged(cluster):
    docs = rendered_documents(REPO / "manifests")
    cluster.apply(docs)
    assert {r.action for r in cluster.apply(docs)} == {"unchanged"}


def test_submit_through_the_argo_server(cluster):
    if not os.environ.get("SLUICE_TEST_ARGO_SERVER"):
        pytest.fail("set SLUICE_TEST_ARGO_SERVER (and SLUICE_TEST_ARGO_TOKEN) to the cluster's Argo Server")
    wf = cluster.submit("train", {"dataset": "wine", "model-name": "wine"})
    assert cluster.get(wf.metadata.name).metadata.name == wf.metadata.name
