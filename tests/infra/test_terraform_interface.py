"""The Terraform house rules (STYLE.md rule 15), checked by parsing every file with python-hcl2."""

import json
import os
import re
import shutil
import subprocess

import pytest

from tests.infra.conftest import MODULES, ROOTS, TERRAFORM, blocks, parse

EXACT = re.compile(r"^\d+\.\d+\.\d+$")
LOWER_BOUND = re.compile(r"^>=\s*\d+\.\d+(\.\d+)?$")


def test_every_tf_file_parses():
    files = sorted(TERRAFORM.rglob("*.tf"))
    assert len(files) >= 20
    for tf in files:
        parse(tf)  # raises with the file's line on a syntax error


def test_layout_has_versions_variables_outputs_and_main(tf_dir):
    names = {p.name for p in tf_dir.glob("*.tf")}
    # main.tf is the entry point (tflint's standard module structure); other concerns get their own files
    assert {"main.tf", "versions.tf", "variables.tf", "outputs.tf"} <= names


def test_every_variable_is_typed_and_described_never_any(tf_dir):
    variables = blocks(tf_dir, "variable")
    assert variables
    for name, body in variables.items():
        assert body.get("description", "").strip(), f"{tf_dir.name}: variable {name} has no description"
        assert "type" in body, f"{tf_dir.name}: variable {name} has no type"
        assert not re.search(r"\bany\b", str(body["type"])), f"{tf_dir.name}: variable {name} uses `any`"


def test_every_output_is_described(tf_dir):
    outputs = blocks(tf_dir, "output")
    assert outputs
    for name, body in outputs.items():
        assert body.get("description", "").strip(), f"{tf_dir.name}: output {name} has no description"
        assert "value" in body


def test_roots_tell_the_user_what_to_do_next():
    for root in ROOTS:
        assert "next_steps" in blocks(root, "output"), f"{root.name} has no next_steps output"


def _providers(directory):
    [terraform] = parse(directory / "versions.tf")["terraform"]
    [providers] = terraform["required_providers"]
    return terraform, providers


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.name)
def test_roots_pin_providers_and_modules_exactly(root):
    terraform, providers = _providers(root)
    assert "required_version" in terraform
    for name, spec in providers.items():
        assert spec["source"].startswith("hashicorp/"), f"{root.name}: provider {name} source {spec['source']}"
        assert EXACT.match(spec["version"]), f"{root.name}: provider {name} is not pinned exactly: {spec['version']}"
    for name, body in blocks(root, "module").items():
        if body["source"].startswith("."):
            continue
        assert EXACT.match(body.get("version", "")), f"{root.name}: module {name} is not pinned exactly"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_modules_declare_lower_bounds(module):
    terraform, providers = _providers(module)
    assert LOWER_BOUND.match(terraform["required_version"])
    for name, spec in providers.items():
        assert LOWER_BOUND.match(spec["version"]), f"{module.name}: provider {name} should be a lower bound"


def test_helm_charts_are_pinned_and_values_come_from_templates():
    module = TERRAFORM / "modules" / "argo-stack"
    releases = {}
    for tf in module.glob("*.tf"):
        for block in parse(tf).get("resource", []):
            releases.update(block.get("helm_release", {}))
    # Charts of the project itself live in the module (versioned with it, no repository, no values).
    local = {name: body for name, body in releases.items() if str(body["chart"]).startswith("${path.module}/charts/")}
    assert set(local) == {"git_repositories_policy"}
    for name, body in local.items():
        chart = module / str(body["chart"]).removeprefix("${path.module}/")
        assert (chart / "Chart.yaml").is_file(), f"helm_release.{name}: no chart at {chart}"
        assert "repository" not in body and "version" not in body, f"helm_release.{name} names no remote chart"
        del releases[name]
    assert set(releases) == {
        "argo_workflows",
        "argo_events",
        "argo_rollouts",
        "argo_cd",
        "argocd_apps",
        "mlflow",
        "kube_prometheus_stack",
        "ingress_nginx",
    }
    defaults = blocks(module, "variable")["chart_versions"]["type"]
    pinned = dict(re.findall(r"(\w+)\s*=\s*optional\(string,\s*\"([^\"]+)\"\)", str(defaults)))
    assert set(pinned) == set(releases)
    for name, version in pinned.items():
        assert EXACT.match(version), f"chart {name} default {version!r} is not exact"
    used = set()
    for name, body in releases.items():
        assert body["version"] == f"${{var.chart_versions.{name}}}", f"helm_release.{name} version"
        found = re.findall(r"values/([\w.-]+\.yaml\.tftpl)", str(body["values"]))
        assert found and "templatefile(" in str(body["values"]), f"helm_release.{name} must use templatefile"
        used.update(found)
    on_disk = {p.name for p in (module / "values").glob("*.yaml.tftpl")}
    assert used == on_disk


def test_grafana_dashboard_has_model_service_panels():
    dashboard = json.loads((TERRAFORM / "modules" / "argo-stack" / "dashboards" / "model-services.json").read_text())
    titles = " ".join(p["title"] for p in dashboard["panels"]).lower()
    for word in ("requests", "error", "latency", "canary"):
        assert word in titles
    assert all(p["targets"][0]["expr"] for p in dashboard["panels"])


def test_team_split_binds_admin_inside_the_namespace_only():
    teams = parse(TERRAFORM / "modules" / "argo-stack" / "teams.tf")
    kinds = {k for block in teams["resource"] for k in block}
    assert "kubernetes_cluster_role_binding_v1" not in kinds, "a team must get no rights outside its namespace"
    bindings = [b["kubernetes_role_binding_v1"] for b in teams["resource"] if "kubernetes_role_binding_v1" in b]
    [admin] = [body for b in bindings for name, body in b.items() if name == "team_admin"]
    assert admin["role_ref"][0]["name"] == "admin"


def test_terraform_fmt_is_clean():
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.fail("terraform is not installed: the infrastructure tests run `terraform fmt` itself")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"}
    done = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, f"run `terraform fmt -recursive infra/terraform`:\n{done.stdout}"


# Labels of the Argo Rollouts controller's metrics: namespaceNameLabels (namespace, name) plus the extras in
# argo-rollouts v1.9.0 controller/metrics/prommetrics.go (the chart 2.41.0's appVersion).
ROLLOUTS_METRIC_LABELS = {
    "rollout_info": {"namespace", "name", "strategy", "traffic_router", "phase"},
    "analysis_run_info": {"namespace", "name", "phase"},
}


def test_dashboard_filters_controller_metrics_only_on_labels_they_have():
    dashboard = json.loads((TERRAFORM / "modules" / "argo-stack" / "dashboards" / "model-services.json").read_text())
    seen = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for metric, selector in re.findall(r"\b([a-z_]+)\{([^}]*)\}", target["expr"]):
                if metric in ROLLOUTS_METRIC_LABELS:
                    seen.add(metric)
                    labels = set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", selector))
                    extra = labels - ROLLOUTS_METRIC_LABELS[metric]
                    assert not extra, f"panel {panel['title']!r}: {metric} has no label {extra}"
    assert seen == set(ROLLOUTS_METRIC_LABELS)
