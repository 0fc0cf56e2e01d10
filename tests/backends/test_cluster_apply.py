"""ClusterBackend against a stand-in Kubernetes API (tests/backends/kube_api.py): what goes over the wire.

A real API server cannot run here, so these tests check the requests the kubernetes client sends (order,
field manager, dry run, force) and how answers become created/configured/unchanged. The same paths run
against a real cluster in test_on_cluster.py.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from sluicegate.backends import FIELD_MANAGER, ClusterBackend, connect
from sluicegate.errors import ManifestError
from sluicegate.manifests import rendered_documents
from tests.backends.kube_api import KubeApiServer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def kube(tmp_path):
    with KubeApiServer() as api:
        kubeconfig = tmp_path / "config"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "c", "cluster": {"server": api.url}}],
                    "users": [{"name": "u", "user": {"token": "t"}}],
                    "contexts": [{"name": "fake", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "fake",
                }
            )
        )
        yield api, ClusterBackend(connect("fake", str(kubeconfig)), "fake")
        # the client caches discovery per server URL in the temp dir; ports get reused
        cache = Path(tempfile.gettempdir()) / f"osrcp-{hashlib.md5(api.url.encode()).hexdigest()}.json"
        if cache.exists():
            os.unlink(cache)


def test_apply_sends_every_manifest_in_dependency_order_with_our_field_manager(kube):
    api, backend = kube
    docs = rendered_documents(REPO / "manifests")
    results = backend.apply(docs)
    assert {r.action for r in results} == {"created"}
    kinds = [a.kind for a in api.applies]
    assert len(kinds) == len(docs)
    assert (
        kinds.index("WorkflowTemplate")
        < kinds.index("Sensor")
        < kinds.index("AnalysisTemplate")
        < kinds.index("CronWorkflow")
    )
    assert max(i for i, k in enumerate(kinds) if k in {"ServiceAccount", "Role", "RoleBinding"}) < kinds.index(
        "WorkflowTemplate"
    )
    # the client writes Python's `True`; the API server parses booleans case-insensitively
    assert {(a.field_manager, a.dry_run, str(a.force).lower()) for a in api.applies} == {(FIELD_MANAGER, None, "true")}


def test_apply_twice_reports_unchanged_then_configured_after_an_edit(kube):
    _, backend = kube
    docs = rendered_documents(REPO / "manifests")
    backend.apply(docs)
    assert {r.action for r in backend.apply(docs)} == {"unchanged"}
    template = next(d for d in docs if d["kind"] == "AnalysisTemplate")
    edited = {**template, "metadata": {**template["metadata"], "labels": {"tier": "gold"}}}
    [result] = backend.apply([edited])
    assert (result.kind, result.action) == ("AnalysisTemplate", "configured")


def test_dry_run_asks_the_server_and_stores_nothing(kube):
    api, backend = kube
    docs = rendered_documents(REPO / "manifests")
    results = backend.apply(docs, dry_run=True)
    assert {r.action for r in results} == {"created"}
    assert {a.dry_run for a in api.applies} == {"All"}
    assert api.objects == {}


def test_namespace_option_moves_every_namespaced_object(kube):
    api, backend = kube
    docs = [d for d in rendered_documents(REPO / "manifests") if d["kind"] in {"ServiceAccount", "WorkflowTemplate"}]
    results = backend.apply(docs, namespace="team-blue")
    assert {r.namespace for r in results} == {"team-blue"}
    assert {ns for _, ns, _ in api.objects} == {"team-blue"}


def test_a_kind_the_cluster_does_not_serve_says_to_install_argo(kube):
    _, backend = kube
    doc = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": "sluicegate"}}
    with pytest.raises(ManifestError, match=r"does not serve example.com/v1 Gadget.*infra/terraform"):
        backend.apply([doc])


def test_cli_deploy_dry_run_then_deploy_prints_what_changed(kube, tmp_path):
    api, _ = kube
    env = {**os.environ, "KUBECONFIG": str(tmp_path / "config")}

    def deploy(*extra: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "sluicegate", "deploy", "--context", "fake", *extra]
        return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)

    count = len(rendered_documents(REPO / "manifests"))
    dry = deploy("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"{count} objects: {count} created, 0 configured, 0 unchanged (server dry run)" in dry.stdout
    assert api.objects == {}
    real = deploy()
    assert real.returncode == 0, real.stderr
    assert "WorkflowTemplate" in real.stdout and "model-pipeline" in real.stdout
    assert len(api.objects) == count
    again = deploy()
    assert f"{count} objects: 0 created, 0 configured, {count} unchanged" in again.stdout
