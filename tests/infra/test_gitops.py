"""The GitOps layout: every rendered manifest lands in exactly one Argo CD layer, in dependency order."""

import re
from fnmatch import fnmatch
from pathlib import Path

import yaml

from sluicegate.backends import APPLY_ORDER

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
    kinds = [k for k in APPLY_ORDER if k not in not_gitops]
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
    rendered = {yaml.safe_load(p.read_text())["kind"] for p in (REPO / "manifests").glob("*.yaml")}
    assert rendered <= allowed
    assert project["spec"]["clusterResourceWhitelist"] == []


def test_kustomization_lists_the_gitops_documents():
    kustomization = yaml.safe_load((GITOPS / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in GITOPS.glob("*.yaml") if p.name != "kustomization.yaml"
    )
