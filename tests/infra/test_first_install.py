"""What a first install on a cluster would hit, checked on the rendered manifests without a cluster.

Each test encodes the rule the pinned controller applies, and names where upstream applies it (source
file and version), so that a definition change that breaks the cluster path fails here first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sluicegate.engine._resource import condition_met
from tests.conftest import rendered_manifests

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "manifests"


def _docs() -> list[dict[str, Any]]:
    return [doc for _, doc in rendered_manifests()]


def _of(kind: str) -> list[dict[str, Any]]:
    return [d for d in _docs() if d["kind"] == kind]


def _one(kind: str, name: str) -> dict[str, Any]:
    [doc] = [d for d in _of(kind) if d["metadata"]["name"] == name]
    return doc


# --- JetStream: the EventBus version must be one the controller is configured with -------------------------

# argo-helm charts/argo-events/values.yaml at argo-events-2.4.22 (controller v1.9.10): configs.jetstream.versions.
# modules/argo-stack/values/argo-events.yaml.tftpl keeps this default list (it sets no `versions`).
ARGO_EVENTS_2_4_22_JETSTREAM = {
    "latest",
    "2.8.1",
    "2.8.1-alpine",
    "2.8.2",
    "2.8.2-alpine",
    "2.9.1",
    "2.9.12",
    "2.9.16",
    "2.10.10",
}


def test_event_bus_runs_a_jetstream_version_the_pinned_controller_knows():
    values = (REPO / "infra/terraform/modules/argo-stack/values/argo-events.yaml.tftpl").read_text()
    assert "versions:" not in values, "the values override the chart's version list: update this test's list"
    for bus in _of("EventBus"):
        version = bus["spec"]["jetstream"]["version"]
        assert version in ARGO_EVENTS_2_4_22_JETSTREAM, f"EventBus {bus['metadata']['name']}: unsupported {version}"


# --- github EventSource: repositories XOR organizations ----------------------------------------------------


def test_github_event_source_names_repositories_or_organizations_not_both():
    # argo-events v1.9.10 pkg/eventsources/sources/github/validate.go: "either repositories or organizations
    # is required" / "only one of repositories and organizations is allowed".
    for source in _of("EventSource"):
        for name, github in (source["spec"].get("github") or {}).items():
            repos, orgs = github.get("repositories"), github.get("organizations")
            assert bool(repos) != bool(orgs), f"EventSource {source['metadata']['name']}.github.{name}"
            for repo in repos or []:
                assert repo["owner"] and repo["names"]


def test_github_repositories_come_from_the_render_time_setting(monkeypatch):
    from events._sources import github_source

    monkeypatch.setenv("SLUICE_GITHUB_REPOSITORIES", "acme/churn, acme/fraud,labs/vision")
    repos = github_source()["spec"]["github"]["push"]["repositories"]
    assert repos == [{"owner": "acme", "names": ["churn", "fraud"]}, {"owner": "labs", "names": ["vision"]}]
    monkeypatch.setenv("SLUICE_GITHUB_REPOSITORIES", "just-a-name")
    with pytest.raises(ValueError, match="owner/name"):
        github_source()


# --- Sensor RBAC: each Sensor's Role covers what its triggers call ------------------------------------------


def _needs(trigger: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(apiGroup, resource, verb) a trigger calls, per argo-events v1.9.10."""
    template = trigger["template"]
    wf = template.get("argoWorkflow")
    if wf is None:
        return set()  # http, slack, log: no Kubernetes API calls
    operation = wf.get("operation", "submit")
    if operation == "submit":
        # pkg/sensors/triggers/argo-workflow/argo-workflow.go: `argo -n NS submit FILE` (the bundled CLI in
        # kube mode creates through server/workflow/workflow_server.go CreateWorkflow, which validates the
        # workflow and gets every WorkflowTemplate it references), then List(workflows) by its labels.
        needs = {("argoproj.io", "workflows", "create"), ("argoproj.io", "workflows", "list")}
        resource = wf["source"]["resource"]
        if "workflowTemplateRef" in yaml.safe_dump(resource) or "templateRef" in yaml.safe_dump(resource):
            needs.add(("argoproj.io", "workflowtemplates", "get"))
        return needs
    return {("argoproj.io", "workflows", "get")}


def _grants(role: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role.get("rules") or []
        for group in rule.get("apiGroups", [])
        for resource in rule.get("resources", [])
        for verb in rule.get("verbs", [])
    }


def test_every_sensor_role_covers_the_calls_of_its_triggers():
    bindings = _of("RoleBinding")
    checked = 0
    for sensor in _of("Sensor"):
        account = sensor["spec"]["template"]["serviceAccountName"]
        roles = [
            _one("Role", b["roleRef"]["name"])
            for b in bindings
            if any(s.get("name") == account and s.get("kind") == "ServiceAccount" for s in b["subjects"])
        ]
        granted = set().union(*(_grants(r) for r in roles)) if roles else set()
        for trigger in sensor["spec"]["triggers"]:
            missing = _needs(trigger) - granted
            assert not missing, f"Sensor {sensor['metadata']['name']} ({account}) lacks {sorted(missing)}"
            checked += bool(_needs(trigger))
    assert checked >= 2, "the submitting Sensors were found"


# --- the relay admits MLflow's webhooks, which come from namespace `mlflow` -------------------------------


def _peer_admits(peer: dict[str, Any], pod_ns: str, pod_labels: dict[str, str], policy_ns: str) -> bool:
    """NetworkPolicyPeer semantics (networking/v1): podSelector alone = same namespace."""
    ns_selector, pod_selector = peer.get("namespaceSelector"), peer.get("podSelector")
    ns_labels = {"kubernetes.io/metadata.name": pod_ns}
    if ns_selector is None and pod_ns != policy_ns:
        return False
    for selector, labels in ((ns_selector, ns_labels), (pod_selector, pod_labels)):
        if selector is None:
            continue
        if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
            return False
        assert not selector.get("matchExpressions"), "extend this test for matchExpressions"
    return True


def test_relay_network_policy_admits_mlflow_from_its_namespace():
    policy = _one("NetworkPolicy", "mlflow-relay")
    ns = policy["metadata"]["namespace"]
    mlflow_pod = ("mlflow", {"app.kubernetes.io/name": "mlflow"})  # modules/argo-stack: namespace `mlflow`

    def admitted(pod_ns: str, labels: dict[str, str]) -> bool:
        return any(
            _peer_admits(peer, pod_ns, labels, ns) for rule in policy["spec"]["ingress"] for peer in rule["from"]
        )

    assert admitted(*mlflow_pod)
    assert admitted(ns, {"app": "anything"})  # the EventSource side and the steps stay admitted
    assert not admitted("other-team", {"app": "x"})


# --- GitHub can reach the github EventSource --------------------------------------------------------------


def test_an_ingress_routes_the_github_webhook_to_its_event_source():
    source = _one("EventSource", "github")
    port = int(source["spec"]["service"]["ports"][0]["port"])
    endpoints = {hook["webhook"]["endpoint"] for hook in source["spec"]["github"].values()}
    routed = set()
    for ingress in _of("Ingress"):
        assert ingress["spec"]["ingressClassName"] == "nginx"  # the class modules/argo-stack installs
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                svc = path["backend"]["service"]
                if svc["name"] == "github-eventsource-svc":  # Argo Events names it <eventsource>-eventsource-svc
                    assert svc["port"]["number"] == port
                    routed.add(path["path"])
    assert endpoints <= routed, f"no Ingress routes {endpoints - routed} to github-eventsource-svc"


# --- analysis: the labels the queries filter on exist, and no traffic is not "Inconclusive forever" -------


def _rollouts() -> list[dict[str, Any]]:
    """Rendered Rollouts and the one the deploy step applies for every model."""
    applied = yaml.safe_load(_resource_templates()["deploy-apply"]["resource"]["manifest"])
    return [*_of("Rollout"), applied]


def _pod_labels_of_rollouts() -> list[tuple[str, dict[str, str]]]:
    out = []
    for rollout in _rollouts():
        base = rollout["spec"]["template"]["metadata"]["labels"]
        canary = rollout["spec"]["strategy"]["canary"]
        for meta in ("stableMetadata", "canaryMetadata"):
            out.append((rollout["metadata"]["name"], {**base, **canary[meta]["labels"]}))
    return out


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


# Labels every scraped series has: the model server's own (components/serve/_metrics.py: model_name,
# model_version, code, le) and the target labels prometheus-operator sets on a PodMonitor's targets.
SERIES_OWN = {"model_name", "model_version", "code", "le"}
TARGET_LABELS = {"namespace", "pod", "container", "endpoint", "job", "instance"}


def test_every_label_an_analysis_query_filters_on_comes_from_a_pod_monitor():
    monitors = _of("PodMonitor")
    assert monitors, "a PodMonitor scrapes the model servers"
    pods = _pod_labels_of_rollouts()
    assert pods
    produced: set[str] = set()
    for rollout, labels in pods:
        selecting = [m for m in monitors if _selects(m["spec"]["selector"], labels)]
        assert selecting, f"no PodMonitor selects the pods of Rollout {rollout} ({labels})"
        for monitor in selecting:
            for endpoint in monitor["spec"]["podMetricsEndpoints"]:
                for relabel in endpoint.get("relabelings") or []:
                    if relabel.get("action", "replace") != "replace":
                        continue
                    [source] = relabel["sourceLabels"]
                    pod_label = source.removeprefix("__meta_kubernetes_pod_label_")
                    # Prometheus sanitises label names to [a-zA-Z0-9_] in its discovery labels
                    assert any(re.sub(r"\W", "_", k) == pod_label for k in labels), (
                        f"{monitor['metadata']['name']} copies pod label {pod_label}, which {rollout}'s pods lack"
                    )
                    produced.add(relabel["targetLabel"])
    for template in _of("AnalysisTemplate"):
        for metric in template["spec"]["metrics"]:
            query = (metric["provider"].get("prometheus") or {}).get("query")
            if not query:
                continue
            for selector in re.findall(r"\{([^{}]*(?:\{\{[^}]*\}\}[^{}]*)*)\}\[", query):
                labels = set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", selector))
                missing = labels - produced - SERIES_OWN - TARGET_LABELS
                assert not missing, f"AnalysisTemplate {template['metadata']['name']} filters on {missing}"
                assert {"rollout", "role"} <= labels


def test_analysis_queries_answer_with_no_traffic_and_still_fail_on_errors(tmp_path):
    """Evaluated by Prometheus's own engine (`promtool test rules`), not by reading the PromQL."""
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed (it comes with the prometheus package: make system)")
    rate = _one("AnalysisTemplate", "success-rate")["spec"]["metrics"][0]["provider"]["prometheus"]["query"]
    p99 = _one("AnalysisTemplate", "latency-p99")["spec"]["metrics"][0]["provider"]["prometheus"]["query"]
    sel = 'rollout="m",role="canary"'
    cases = [
        # (what, expr, input series, expected value at 5m or None for "no sample")
        ("no series at all", rate, [], 1),
        ("counters idle in the window", rate, [(f'sluicegate_model_requests_total{{{sel},code="200"}}', "5x10")], 1),
        ("all 5xx", rate, [(f'sluicegate_model_requests_total{{{sel},code="500"}}', "0+6x10")], 0),
        (
            "half 5xx",
            rate,
            [
                (f'sluicegate_model_requests_total{{{sel},code="500"}}', "0+6x10"),
                (f'sluicegate_model_requests_total{{{sel},code="200"}}', "0+6x10"),
            ],
            0.5,
        ),
        ("latency, no requests", p99, [], 0),
        (
            "latency, idle buckets",
            p99,
            [(f'sluicegate_model_request_duration_seconds_bucket{{{sel},le="+Inf"}}', "3x10")],
            0,
        ),
    ]
    tests = []
    for what, query, series, expected in cases:
        expr = query.replace("{{args.service-name}}", "m").replace("{{args.role}}", "canary")
        expr = expr.replace("{{args.window}}", "1m")
        tests.append(
            {
                "interval": "30s",
                "input_series": [{"series": s, "values": v} for s, v in series],
                "promql_expr_test": [
                    {"expr": expr, "eval_time": "5m", "exp_samples": [{"labels": "{}", "value": expected}]}
                ],
                "name": what,
            }
        )
    (tmp_path / "rules.yaml").write_text("groups: []\n")
    (tmp_path / "test.yaml").write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "tests": tests}))
    done = subprocess.run(
        [promtool, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the deploy step never takes the previous spec's status for the new one --------------------------------


def _argo_v4_0_6_conditions(success: str, failure: str, obj: dict[str, Any]) -> str:
    """Argo Workflows v4.0.6 workflow/executor/resource.go matchConditions: ANY failure requirement fails,
    ALL success requirements succeed; otherwise keep waiting. No observedGeneration check."""
    if failure and any(condition_met(req, obj) for req in failure.split(",")):
        return "failed"
    if success and all(condition_met(req, obj) for req in success.split(",")):
        return "succeeded"
    return "waiting"


def _resource_templates() -> dict[str, dict[str, Any]]:
    wt = _one("WorkflowTemplate", "evaluate-and-deploy")
    return {t["name"]: t for t in wt["spec"]["templates"]}


def _waits_of_deploy() -> list[tuple[str, dict[str, Any]]]:
    """The resource steps of the `deploy` template, in order, with their resource spec (the lineage tagging
    that follows them is a container step)."""
    templates = _resource_templates()
    steps = [step for group in templates["deploy"]["steps"] for step in group]
    return [
        (s["template"], templates[s["template"]]["resource"]) for s in steps if "resource" in templates[s["template"]]
    ]


def test_deploy_waits_for_the_rollout_to_observe_the_patched_spec_before_judging_health():
    steps = _waits_of_deploy()
    actions = [res["action"] for _, res in steps]
    assert actions[0] == "apply" and actions[1:] and all(a == "get" for a in actions[1:])
    gen = "7"
    # What the Rollout looks like right after the apply: generation 7, status still of generation 6.
    stale_healthy = {"metadata": {"generation": 7}, "status": {"phase": "Healthy", "observedGeneration": "6"}}
    stale_degraded = {"metadata": {"generation": 7}, "status": {"phase": "Degraded", "observedGeneration": "6"}}
    promoted = {"metadata": {"generation": 7}, "status": {"phase": "Healthy", "observedGeneration": "7"}}
    aborted = {"metadata": {"generation": 7}, "status": {"phase": "Degraded", "observedGeneration": "7"}}

    def run(obj: dict[str, Any]) -> str:
        for _name, res in steps[1:]:
            success = str(res.get("successCondition", "")).replace("{{inputs.parameters.generation}}", gen)
            failure = str(res.get("failureCondition", "")).replace("{{inputs.parameters.generation}}", gen)
            outcome = _argo_v4_0_6_conditions(success, failure, obj)
            if outcome != "succeeded":
                return outcome
        return "succeeded"

    assert run(stale_healthy) == "waiting"
    assert run(stale_degraded) == "waiting"
    assert run(promoted) == "succeeded"
    assert run(aborted) == "failed"
    [output] = _resource_templates()[steps[0][0]]["outputs"]["parameters"]
    assert output["valueFrom"]["jsonPath"] == "{.metadata.generation}"


# --- per-team rendering -------------------------------------------------------------------------------------


def test_manifests_render_for_another_team_namespace(tmp_path):
    from typer.testing import CliRunner

    from sluicegate.cli import app

    out = tmp_path / "blue"
    result = CliRunner().invoke(app, ["render", "--namespace", "team-blue", "--out", str(out)])
    assert result.exit_code == 0, result.output
    docs = [yaml.safe_load(p.read_text()) for p in sorted(out.glob("*.yaml"))]
    assert len(docs) == len(_docs())
    text = "\n".join(p.read_text() for p in out.glob("*.yaml"))
    assert not re.search(r"\.sluicegate\.(svc|local)\b", text)
    for doc in docs:
        assert doc["metadata"]["namespace"] == "team-blue", doc["metadata"]["name"]
        for subject in doc.get("subjects") or []:
            if "namespace" in subject:
                assert subject["namespace"] == "team-blue"
    assert "http://mlflow.team-blue.svc:5000" in text
    # the project's own name stays where it is not a namespace
    assert "app.kubernetes.io/part-of: sluicegate" in text
    bad = CliRunner().invoke(app, ["render", "--namespace", "Team_Blue", "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0


# --- a fresh install comes up Healthy before any model exists ----------------------------------------------

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Rollout", "ReplicaSet", "Pod"}


def test_a_fresh_install_becomes_healthy_with_an_empty_registry():
    # RollingSync starts a layer only when the previous one is Healthy (Argo CD v3.4 "Progressive Syncs"),
    # and a workload is Healthy only when its pods are ready (gitops-engine pkg/health/health_deployment.go;
    # argo-cd resource_customizations/argoproj.io/Rollout/health.lua). A model server whose MODEL_URI names a
    # registry version or alias (`models:/name@champion`) that a fresh MLflow does not have never gets
    # ready, so no synced workload may need one: each model's Rollout is created by its first deploy step.
    docs = _docs()
    workloads = [d for d in docs if d["kind"] in WORKLOADS]
    assert workloads, "the relay Deployment is rendered"
    for doc in workloads:
        assert "models:/" not in yaml.safe_dump(doc), f"{doc['kind']} {doc['metadata']['name']} needs a model"
    assert not [d for d in docs if d["kind"] == "Rollout"], "Rollouts come from the pipeline's deploy step"
    # ...which is where the model URI is set, from the version the pipeline just registered.
    deploy = _resource_templates()["deploy-apply"]["resource"]
    uri = yaml.safe_load(deploy["manifest"])["spec"]["template"]["metadata"]["annotations"]["sluicegate.io/model-uri"]
    assert uri == "models:/{{inputs.parameters.model-name}}/{{inputs.parameters.model-version}}"
