"""Every Helm values template renders to valid YAML for both clouds, with and without an ingress domain.

Terraform is not installed here, so a small interpreter covers the template syntax the files use:
`${name}`, `${jsonencode(name)}`, and `%{ if COND ~}` / `%{ else ~}` / `%{ endif ~}` with `a == "x"`,
`a != ""` and `length(a) > 0` conditions.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

VALUES = Path(__file__).resolve().parents[2] / "infra" / "terraform" / "modules" / "argo-stack" / "values"

VARS = {
    "bucket": "proj-sluicegate-artifacts",
    "region": "eu-west-1",
    "team_namespaces": ["sluicegate", "blue"],
    "workflow_service_account": "sluicegate-pipeline",
    "steps_selector": {"sluicegate.io/pool": "steps"},
    "controller_annotations": {"iam.gke.io/gcp-service-account": "argo@proj.iam.gserviceaccount.com"},
    "ingress_class": "nginx",
    "jetstream_replicas": 3,
    "namespace": "argocd",
    "repo_url": "https://github.com/org/sluicegate.git",
    "revision": "main",
    "path": "gitops",
    "team_elements": [{"team": "sluicegate", "repoURL": "https://x/y.git", "revision": "main", "path": "manifests"}],
    "team_destinations": [{"server": "https://kubernetes.default.svc", "namespace": "sluicegate"}],
    "service_account_annotations": {},
    "db_host": "10.0.0.5",
    "db_port": 5432,
    "db_name": "mlflow",
    "db_secret": "mlflow-database",
    "grafana_secret": "grafana-admin",
    "load_balancer_annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
}


def _cond(expr: str, env: dict) -> bool:
    expr = expr.strip()
    if m := re.fullmatch(r"length\((\w+)\)\s*>\s*0", expr):
        return len(env[m[1]]) > 0
    if m := re.fullmatch(r'(\w+)\s*(==|!=)\s*"([^"]*)"', expr):
        return (str(env[m[1]]) == m[3]) == (m[2] == "==")
    raise AssertionError(f"condition the test interpreter does not know: {expr}")


def render(text: str, env: dict) -> str:
    out, stack = [], [True]
    for line in text.splitlines(keepends=True):
        if m := re.fullmatch(r"\s*%\{\s*(if (.*?)|else|endif)\s*~?\}\s*\n?", line):
            if m[1].startswith("if"):
                stack.append(stack[-1] and _cond(m[2], env))
            elif m[1] == "else":
                inner = stack.pop()
                stack.append(stack[-1] and not inner)
            else:
                stack.pop()
            continue
        if all(stack):
            line = re.sub(r"\$\{jsonencode\((\w+)\)\}", lambda m: json.dumps(env[m[1]]), line)
            line = re.sub(r"\$\{(\w+)\}", lambda m: str(env[m[1]]), line)
            out.append(line)
    assert stack == [True], "unbalanced %{ if }"
    return "".join(out)


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
@pytest.mark.parametrize("host", ["", "argo.ml.example.com"])
@pytest.mark.parametrize("template", sorted(VALUES.glob("*.yaml.tftpl")), ids=lambda p: p.name)
def test_values_template_renders_valid_yaml(template, cloud, host):
    text = render(template.read_text(), {**VARS, "cloud": cloud, "host": host})
    assert "${" not in text and "%{" not in text
    values = yaml.safe_load(text)
    assert isinstance(values, dict) and values


def test_artifact_repository_follows_the_cloud():
    text = (VALUES / "argo-workflows.yaml.tftpl").read_text()
    gcp = yaml.safe_load(render(text, {**VARS, "cloud": "gcp", "host": ""}))["artifactRepository"]
    aws = yaml.safe_load(render(text, {**VARS, "cloud": "aws", "host": ""}))["artifactRepository"]
    assert gcp["gcs"]["bucket"] == VARS["bucket"] and "s3" not in gcp
    assert aws["s3"]["useSDKCreds"] is True and "gcs" not in aws


def test_argo_cd_root_app_patches_teams_into_the_applicationset():
    text = render((VALUES / "argo-cd.yaml.tftpl").read_text(), {**VARS, "cloud": "gcp", "host": ""})
    [root] = yaml.safe_load(text)["extraObjects"]
    patches = root["spec"]["source"]["kustomize"]["patches"]
    ops = yaml.safe_load(patches[0]["patch"])
    assert ops[0]["path"] == "/spec/generators/0/matrix/generators/0/list/elements"
    assert ops[0]["value"] == VARS["team_elements"]
    assert yaml.safe_load(text)["configs"]["params"]["applicationsetcontroller.enable.progressive.syncs"] is True
