"""The Helm values templates, rendered by Terraform's own `templatefile`, hold what the pinned charts need.

Each rule below names the chart template (and version) whose behaviour it encodes. All templates, for both
clouds, with and without an ingress domain, are rendered in one `terraform console` run per session.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.conftest import TERRAFORM as TF
from tests.infra.conftest import VALUES, blocks, parse, render_values

REPO = Path(__file__).resolve().parents[2]
MODULE = TF / "modules" / "argo-stack"

VARS: dict[str, Any] = {
    "bucket": "proj-sluicegate-artifacts",
    "region": "eu-west-1",
    "team_namespaces": ["blue", "sluicegate"],
    "workflow_service_account": "sluicegate-pipeline",
    "steps_selector": {"sluicegate.io/pool": "steps"},
    "argo_annotations": {"iam.gke.io/gcp-service-account": "argo@proj.iam.gserviceaccount.com"},
    "ingress_class": "nginx",
    "jetstream_replicas": 3,
    "namespace": "argocd",
    "repo_url": "https://github.com/org/sluicegate.git",
    "revision": "main",
    "path": "gitops",
    "team_elements": [{"team": "sluicegate", "repoURL": "https://x/y.git", "revision": "main", "path": "manifests"}],
    "team_destinations": [{"server": "https://kubernetes.default.svc", "namespace": "sluicegate"}],
    "service_account_annotations": {"iam.gke.io/gcp-service-account": "mlflow@proj.iam.gserviceaccount.com"},
    "db_host": "10.0.0.5",
    "db_port": 5432,
    "db_name": "mlflow",
    "db_secret": "mlflow-database",
    "image_tag": "3.17.2",
    "grafana_secret": "grafana-admin",
    "load_balancer_annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
}
TEMPLATES = sorted(p.name for p in VALUES.glob("*.yaml.tftpl"))
SCENARIOS = [(cloud, host) for cloud in ("gcp", "aws") for host in ("", "x.ml.example.com")]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], str]:
    """`{(template, cloud, host): text}` for every template and scenario, from one terraform console run."""
    cases: dict[str, tuple[str, dict[str, Any]]] = {}
    for template in TEMPLATES:
        for cloud, host in SCENARIOS:
            env = {**VARS, "cloud": cloud, "host": host, "namespace": "mlflow" if "mlflow" in template else "argocd"}
            cases[f"{template}|{cloud}|{host}"] = (template, env)
    out = render_values(cases, tmp_path_factory.mktemp("tf"))
    return {tuple(key.split("|")): text for key, text in out.items()}  # type: ignore[misc]


def _values(rendered: dict[tuple[str, str, str], str], template: str, cloud: str = "gcp", host: str = "") -> Any:
    return yaml.safe_load(rendered[(template, cloud, host)])


def test_every_values_template_renders_valid_yaml_with_terraform(rendered):
    assert len(rendered) == len(TEMPLATES) * len(SCENARIOS)
    for key, text in rendered.items():
        values = yaml.safe_load(text)
        assert isinstance(values, dict) and values, key


def test_artifact_repository_follows_the_cloud(rendered):
    gcp = _values(rendered, "argo-workflows.yaml.tftpl", "gcp")["artifactRepository"]
    aws = _values(rendered, "argo-workflows.yaml.tftpl", "aws")["artifactRepository"]
    assert gcp["gcs"]["bucket"] == VARS["bucket"] and "s3" not in gcp
    assert aws["s3"]["useSDKCreds"] is True and "gcs" not in aws


# --- item: a value the chart passes through Helm's `tpl` must escape Argo's own {{...}} ---------------------

_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)
_RAW = re.compile(r"^\s*`([^`]*)`\s*$|^\s*\"((?:[^\"\\]|\\.)*)\"\s*$")


def helm_tpl(text: str) -> str:
    """What Helm's `tpl` makes of a string whose only actions are string literals ({{`x`}} or {{ "x" }}).

    Any other action (such as Argo's `{{workflow.name}}`) is what makes `tpl` fail with "function ...
    not defined", so it is an error here too.
    """

    def literal(m: re.Match[str]) -> str:
        lit = _RAW.match(m[1])
        if lit is None:
            raise AssertionError(f"Helm's tpl would evaluate {{{{{m[1]}}}}} and fail (escape it as {{{{`...`}}}})")
        return lit[1] if lit[1] is not None else lit[2]

    out, pos = [], 0
    while (start := text.find("{{", pos)) >= 0:
        out.append(text[pos:start])
        # a raw string may itself contain "}}": the action ends at the first "}}" after a closing backtick
        m = re.compile(r"\{\{\s*`[^`]*`\s*\}\}|\{\{.*?\}\}", re.S).match(text, start)
        assert m is not None
        out.append(literal(_ACTION.fullmatch(m[0])))  # type: ignore[arg-type]
        pos = m.end()
    return "".join(out) + text[pos:]


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_gcs_artifact_repository_survives_helms_tpl(rendered):
    # argo-workflows 1.0.18, templates/controller/workflow-controller-config-map.yaml:
    #   gcs: {{- tpl (toYaml .) $ | nindent 8 }}     (the whole block goes through tpl)
    gcs = _values(rendered, "argo-workflows.yaml.tftpl", "gcp")["artifactRepository"]["gcs"]
    for value in _strings(gcs):
        helm_tpl(value)  # raises on an unescaped action
    assert helm_tpl(gcs["keyFormat"]) == "argo/{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}"


def test_s3_key_format_is_not_escaped_because_the_chart_only_quotes_it(rendered):
    # same template: keyFormat: {{ .Values.artifactRepository.s3.keyFormat | quote }}  (no tpl)
    s3 = _values(rendered, "argo-workflows.yaml.tftpl", "aws")["artifactRepository"]["s3"]
    assert s3["keyFormat"] == "argo/{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}"


def test_helm_tpl_emulation_rejects_an_unescaped_placeholder():
    with pytest.raises(AssertionError, match=r"workflow\.name"):
        helm_tpl("argo/{{workflow.name}}")
    assert helm_tpl('a/{{ "{{" }}x}}/{{`{{y}}`}}') == "a/{{x}}/{{y}}"


# --- item: no object of a CRD kind in the same release as the CRD -----------------------------------------

# Kinds whose CRDs each chart installs as ordinary templates (so they are not known before the release
# is applied): argo-cd 10.1.1 charts/argo-cd/templates/crds/crd-{application,applicationset,appproject}.yaml;
# argo-workflows 1.0.18, argo-events 2.4.22, argo-rollouts 2.41.0 likewise under templates/crds/.
CRD_KINDS = {
    "argo-cd.yaml.tftpl": {"Application", "ApplicationSet", "AppProject"},
    "argo-workflows.yaml.tftpl": {"Workflow", "WorkflowTemplate", "CronWorkflow", "ClusterWorkflowTemplate"},
    "argo-events.yaml.tftpl": {"EventBus", "EventSource", "Sensor"},
    "argo-rollouts.yaml.tftpl": {"Rollout", "AnalysisTemplate", "AnalysisRun", "Experiment"},
}


def test_no_release_carries_an_object_of_a_kind_its_own_crds_define(rendered):
    for template, kinds in CRD_KINDS.items():
        values = _values(rendered, template)
        extra = {obj.get("kind") for obj in values.get("extraObjects") or []}
        assert not extra & kinds, f"{template}: extraObjects of {extra & kinds} fail on first install"


def test_root_application_is_its_own_release_installed_after_argo_cd(rendered):
    # python-hcl2 groups resources by type: {"helm_release": {"argocd_apps": {...}}}
    helm: dict[str, Any] = {}
    for tf in sorted(MODULE.glob("*.tf")):
        for block in parse(tf).get("resource", []):
            helm.update(block.get("helm_release", {}))
    apps = helm["argocd_apps"]
    assert apps["chart"] == "argocd-apps"
    assert "helm_release.argo_cd" in str(apps["depends_on"])
    root = _values(rendered, "argocd-apps.yaml.tftpl")["applications"]["sluicegate-root"]
    ops = yaml.safe_load(root["source"]["kustomize"]["patches"][0]["patch"])
    assert ops[0]["path"] == "/spec/generators/0/matrix/generators/0/list/elements"
    assert ops[0]["value"] == VARS["team_elements"]
    params = _values(rendered, "argo-cd.yaml.tftpl")["configs"]["params"]
    assert params["applicationsetcontroller.enable.progressive.syncs"] is True


# --- item: MLflow answers the in-cluster names ------------------------------------------------------------


def _mlflow_hosts_in_manifests() -> set[str]:
    hosts = set()
    for path in (REPO / "manifests").glob("*.yaml"):
        hosts |= set(re.findall(r"https?://(mlflow\.[a-z0-9.-]+:\d+)", path.read_text()))
    return hosts


def test_mlflow_allows_every_in_cluster_host_its_clients_send(rendered):
    # MLflow (server/security_utils.py) matches the whole Host header against MLFLOW_SERVER_ALLOWED_HOSTS;
    # the mlflow chart 1.11.5 fills that from ingress hosts + serverAllowedHosts only (_helpers.tpl).
    from mlflow.server.security_utils import is_allowed_host_header

    allowed = _values(rendered, "mlflow.yaml.tftpl")["serverAllowedHosts"]
    output = (MODULE / "main.tf").read_text()
    url = r'mlflow_internal_url = "http://mlflow\.\$\{local\.namespaces\.mlflow\}(\.[a-z.]+):(\d+)"'
    internal = re.search(url, output)
    assert internal is not None
    clients = _mlflow_hosts_in_manifests()
    assert clients, "the manifests name MLflow's in-cluster URL"
    team_hosts = {f"mlflow.{team}.svc:5000" for team in VARS["team_namespaces"]}
    for host in clients | team_hosts | {f"mlflow.mlflow{internal[1]}:{internal[2]}", "mlflow:5000"}:
        assert is_allowed_host_header(allowed, host), f"MLflow would answer 403 to Host: {host}"
    assert not is_allowed_host_header(allowed, "evil.example.com:5000")


def test_mlflow_server_is_inside_the_clients_version_range(rendered):
    # The chart's default image tag is its appVersion (mlflow 1.11.5: 3.15.1); pyproject pins the client.
    from packaging.specifiers import SpecifierSet

    pin = re.search(r'"mlflow(?:\[[a-z,]+\])?(>=[^"]+)"', (REPO / "pyproject.toml").read_text())
    assert pin is not None
    default = blocks(MODULE, "variable")["mlflow_server_version"]["default"]
    assert default in SpecifierSet(pin[1]), f"MLflow server {default} is outside the client's {pin[1]}"
    assert _values(rendered, "mlflow.yaml.tftpl")["image"]["tag"] == VARS["image_tag"]


# --- smaller items: monitors that actually render, identities on every bound ServiceAccount --------------


def test_workflow_controller_service_monitor_has_its_metrics_enabled(rendered):
    # argo-workflows 1.0.18 templates/controller/workflow-controller-servicemonitor.yaml renders only if
    # (metricsConfig.enabled or telemetryConfig.enabled) and serviceMonitor.enabled.
    controller = _values(rendered, "argo-workflows.yaml.tftpl")["controller"]
    assert controller["serviceMonitor"]["enabled"] is True
    assert controller["metricsConfig"]["enabled"] is True


# Where each chart takes the annotations of the ServiceAccount it creates (values.yaml of the pinned chart).
SA_ANNOTATIONS = {
    "argo/argo-workflows-workflow-controller": ("argo-workflows.yaml.tftpl", ["controller", "serviceAccount"]),
    "argo/argo-workflows-server": ("argo-workflows.yaml.tftpl", ["server", "serviceAccount"]),
    "mlflow/mlflow": ("mlflow.yaml.tftpl", ["serviceAccount"]),
}


def test_every_service_account_the_roots_bind_gets_the_identity_annotation(rendered):
    bound: set[str] = set()
    for root, sep in (("gke", "/"), ("eks", ":")):
        text = (TF / "envs" / root / "iam.tf").read_text()
        bound |= {s.replace(sep, "/") for s in re.findall(r'"([a-z0-9-]+[/:][a-z0-9-]+)"', text) if "." not in s}
    bound = {s for s in bound if s.split("/")[0] in {"argo", "mlflow"}}
    assert bound == set(SA_ANNOTATIONS), bound
    for ksa, (template, path) in SA_ANNOTATIONS.items():
        node = _values(rendered, template)
        for key in path:
            node = node[key]
        assert node.get("annotations"), f"{ksa} is bound to a cloud identity but its ServiceAccount has no annotation"


def test_rollouts_metrics_keep_their_own_namespace_label(rendered):
    # argo-rollouts 2.41.0 templates/controller/servicemonitor.yaml has no honorLabels; rollout_info and
    # analysis_run_info carry `namespace` (controller/metrics/prommetrics.go, v1.9.0), which Prometheus
    # renames to exported_namespace unless a metric relabelling puts it back.
    monitor = _values(rendered, "argo-rollouts.yaml.tftpl")["controller"]["metrics"]["serviceMonitor"]
    rules = monitor.get("metricRelabelings") or []
    assert monitor.get("honorLabels") or any(
        r.get("sourceLabels") == ["exported_namespace"] and r.get("targetLabel") == "namespace" for r in rules
    )
