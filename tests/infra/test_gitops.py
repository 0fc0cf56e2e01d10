"""The GitOps layout: every rendered manifest lands in exactly one Argo CD layer, in dependency order, and
`kubectl kustomize` builds what the root Application syncs, with Terraform's team patches applied."""

import json
import re
import shutil
import subprocess
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml

from sluicegate.manifests import APPLY_ORDER
from tests.conftest import rendered_manifests
from tests.infra.conftest import render_values

REPO = Path(__file__).resolve().parents[2]
GITOPS = REPO / "gitops"


def _appset() -> dict:
    return yaml.safe_load((GITOPS / "applicationset.yaml").read_text())


def _layers() -> list[dict]:
    [_teams, layers] = _appset()["spec"]["generators"][0]["matrix"]["generators"]
    return layers["list"]["elements"]


def _globs(include: str) -> list[str]:
    m = re.fullmatch(r"\{(.*)\}", include)
    return m[1].split(",") if m else [include]


def _layer_of(file_name: str) -> list[str]:
    return [layer["layer"] for layer in _layers() if any(fnmatch(file_name, g) for g in _globs(layer["include"]))]


def test_every_rendered_manifest_is_in_exactly_one_layer():
    files = sorted(p.name for p in (REPO / "manifests").glob("*.yaml"))
    assert files
    for name in files:
        assert len(_layer_of(name)) == 1, f"{name} is in layers {_layer_of(name)}"


def test_every_ordered_kind_has_a_layer_and_layers_follow_apply_order():
    # cluster-scoped kinds are the platform's (Terraform); Secrets are never rendered
    not_gitops = {"Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterWorkflowTemplate"}
    not_gitops |= {"ClusterAnalysisTemplate", "Secret"}
    # A claim waits for its consumer's layer (test below); `sluice deploy` may apply it early, as apply
    # does not wait for health.
    kinds = [k for k in APPLY_ORDER if k not in not_gitops | {"PersistentVolumeClaim"}]
    order = [layer["layer"] for layer in _layers()]
    positions = []
    for kind in kinds:
        [layer] = _layer_of(f"{kind.lower()}-x.yaml")
        positions.append(order.index(layer))
    assert positions == sorted(positions), "layers must sync in the order `sluice deploy` applies"


def test_rolling_sync_steps_follow_the_layers():
    steps = _appset()["spec"]["strategy"]["rollingSync"]["steps"]
    assert [s["matchExpressions"][0]["values"] for s in steps] == [[layer["layer"]] for layer in _layers()]
    labels = _appset()["spec"]["template"]["metadata"]["labels"]
    assert labels["sluicegate.io/layer"] == "{{.layer}}"


def test_project_allows_every_rendered_kind_and_nothing_cluster_wide():
    project = yaml.safe_load((GITOPS / "appproject.yaml").read_text())
    allowed = {entry["kind"] for entry in project["spec"]["namespaceResourceWhitelist"]}
    rendered = {doc["kind"] for _, doc in rendered_manifests()}
    assert rendered <= allowed
    assert project["spec"]["clusterResourceWhitelist"] == []


def test_kustomization_lists_the_gitops_documents():
    kustomization = yaml.safe_load((GITOPS / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in GITOPS.glob("*.yaml") if p.name != "kustomization.yaml"
    )


def _docs() -> list[tuple[str, dict]]:
    return rendered_manifests()


def _pod_spec(doc: dict) -> dict | None:
    if doc["kind"] in {"Deployment", "Rollout", "StatefulSet"}:
        return doc["spec"]["template"]["spec"]
    return None


def test_every_volume_claim_syncs_with_the_workload_that_mounts_it():
    # A PVC on a WaitForFirstConsumer StorageClass (GKE standard-rwo, the EKS EBS CSI add-on's gp3) stays
    # Pending until a pod uses it; Argo CD's health of a Pending PVC is Progressing (gitops-engine
    # pkg/health/health_pvc.go), and RollingSync waits for Healthy before the next step.
    order = [layer["layer"] for layer in _layers()]
    docs = _docs()
    claims = {doc["metadata"]["name"]: name for name, doc in docs if doc["kind"] == "PersistentVolumeClaim"}
    assert claims, "the relay's claim is rendered"
    for name, doc in docs:
        spec = _pod_spec(doc)
        for volume in (spec or {}).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                [claim_layer] = _layer_of(claims[claim])
                [workload_layer] = _layer_of(name)
                assert order.index(claim_layer) == order.index(workload_layer), (
                    f"{claims[claim]} syncs in {claim_layer} but its consumer {name} in {workload_layer}"
                )


def test_generated_applications_leave_syncing_to_rolling_sync():
    # RollingSync disables auto-sync on every generated Application (Argo CD v3.4 "Progressive Syncs");
    # an `automated` block would be ignored with a warning and promise a prune/self-heal that never happens.
    sync = _appset()["spec"]["template"]["spec"]["syncPolicy"]
    assert "automated" not in sync


@pytest.fixture(scope="module")
def root_app_patches(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    teams = [
        {"team": "blue", "repoURL": "https://github.com/org/blue.git", "revision": "main", "path": "manifests"},
        {"team": "sluicegate", "repoURL": "https://github.com/org/sg.git", "revision": "v2", "path": "manifests"},
    ]
    destinations = [{"server": "https://kubernetes.default.svc", "namespace": t["team"]} for t in teams]
    env = {
        "namespace": "argocd",
        "repo_url": "https://github.com/org/sg.git",
        "revision": "main",
        "path": "gitops",
        "team_elements": teams,
        "team_destinations": destinations,
    }
    text = render_values({"apps": ("argocd-apps.yaml.tftpl", env)}, tmp_path_factory.mktemp("tf"))["apps"]
    root = yaml.safe_load(text)["applications"]["sluicegate-root"]
    return [{"teams": teams, "destinations": destinations, "patches": root["source"]["kustomize"]["patches"]}]


def test_kustomize_builds_the_root_application_with_terraforms_teams(root_app_patches, tmp_path):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is not installed: the GitOps tests build the overlay with `kubectl kustomize`")
    [case] = root_app_patches
    # What Argo CD does with the root Application's `kustomize.patches`: an overlay over gitops/.
    overlay = tmp_path / "overlay"
    shutil.copytree(GITOPS, overlay / "base")
    (overlay / "kustomization.yaml").write_text(
        json.dumps({"resources": ["base"], "patches": case["patches"]}), encoding="utf-8"
    )
    built = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    docs = {d["kind"]: d for d in yaml.safe_load_all(built.stdout)}
    assert set(docs) == {"AppProject", "ApplicationSet"}
    teams = docs["ApplicationSet"]["spec"]["generators"][0]["matrix"]["generators"][0]["list"]["elements"]
    assert teams == case["teams"]
    assert docs["AppProject"]["spec"]["destinations"] == case["destinations"]
    plain = subprocess.run([kubectl, "kustomize", str(GITOPS)], capture_output=True, text=True, check=False)
    assert plain.returncode == 0, plain.stderr
