"""The rendered Rollout, Services, Ingress and AnalysisTemplates have the shape the controller and Argo need."""

from __future__ import annotations

import rollouts
from rollouts import MODEL_URI_ANNOTATION, ModelService
from rollouts._models import AnalysisTemplate, Rollout


def _by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def test_manifests_one_rollout_per_model_service() -> None:
    docs = rollouts.manifests([ModelService("a"), ModelService("b")])
    assert [d["metadata"]["name"] for d in _by_kind(docs, "Rollout")] == ["a", "b"]
    assert sorted(d["metadata"]["name"] for d in _by_kind(docs, "Service")) == [
        "a-canary",
        "a-stable",
        "b-canary",
        "b-stable",
    ]
    assert all(d["metadata"]["namespace"] == "sluicegate" for d in docs)


def test_manifests_render_no_model_service_by_default() -> None:
    # the pipeline applies each model's objects when it first deploys the model; a Rollout rendered for a
    # model that does not exist yet would wait Degraded on a fresh stack or cluster
    # (the PodMonitor is shared by every model and selects no pod until a model is deployed)
    assert {d["kind"] for d in rollouts.manifests()} == {"AnalysisTemplate", "PodMonitor"}


def test_rollout_canary_steps_in_order() -> None:
    ro = _by_kind(rollouts.manifests([ModelService("breast-cancer")]), "Rollout")[0]
    steps = ro["spec"]["strategy"]["canary"]["steps"]
    assert [next(iter(s)) for s in steps] == ["setWeight", "analysis", "setWeight", "pause", "analysis"]
    assert [s.get("setWeight") for s in steps if "setWeight" in s] == [10, 50]
    assert steps[3]["pause"]["duration"] == "30s"
    canary = ro["spec"]["strategy"]["canary"]
    assert canary["trafficRouting"] == {"nginx": {"stableIngress": "breast-cancer"}}
    assert (canary["stableService"], canary["canaryService"]) == ("breast-cancer-stable", "breast-cancer-canary")


def test_rollout_model_uri_annotation_reaches_container_env() -> None:
    ro = _by_kind(rollouts.manifests([ModelService("breast-cancer")]), "Rollout")[0]
    template = ro["spec"]["template"]
    assert template["metadata"]["annotations"][MODEL_URI_ANNOTATION] == "models:/breast-cancer@champion"
    container = template["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["MODEL_URI"]["valueFrom"]["fieldRef"]["fieldPath"] == f"metadata.annotations['{MODEL_URI_ANNOTATION}']"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert template["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container["resources"]["limits"]


def test_analysis_templates_guard_empty_results() -> None:
    templates = {d["metadata"]["name"]: d for d in _by_kind(rollouts.manifests(), "AnalysisTemplate")}
    assert set(templates) == {"success-rate", "latency-p99", "canary-smoke", "stress-test"}
    for name in ("success-rate", "latency-p99"):
        metric = templates[name]["spec"]["metrics"][0]
        assert "prometheus" in metric["provider"]
        assert metric["successCondition"].startswith("len(result) > 0")
        assert metric["failureCondition"].startswith("len(result) > 0")
    assert "web" in templates["canary-smoke"]["spec"]["metrics"][0]["provider"]
    job = templates["stress-test"]["spec"]["metrics"][0]["provider"]["job"]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["python", "-m", "components.stress_test"]


def test_models_round_trip() -> None:
    for doc in rollouts.manifests():
        model = {"Rollout": Rollout, "AnalysisTemplate": AnalysisTemplate}.get(doc["kind"])
        if model is not None:
            assert model.model_validate(doc).to_dict() == doc


def test_stress_test_analysis_loads_the_canary_as_the_pipeline_stress_test_did() -> None:
    # rate, duration, gates and rows of the model's own stress test: not the template's defaults and a
    # bundled dataset's rows, which a model project's canary would answer with 4xx at an unplanned rate
    svc = ModelService("churn", stress_rps="5", stress_duration_seconds="3", stress_rows="eyJ9", stress_p99_ms="900")
    ro = _by_kind(rollouts.manifests([svc]), "Rollout")[0]
    last = ro["spec"]["strategy"]["canary"]["steps"][-1]["analysis"]
    args = {a["name"]: a["value"] for a in last["args"]}
    assert {k: args[k] for k in ("rps", "duration-seconds", "rows", "p99-latency-ms")} == {
        "rps": "5",
        "duration-seconds": "3",
        "rows": "eyJ9",
        "p99-latency-ms": "900",
    }
    template = {d["metadata"]["name"]: d for d in _by_kind(rollouts.manifests(), "AnalysisTemplate")}["stress-test"]
    declared = {a["name"] for a in template["spec"]["args"]}
    assert {"rps", "duration-seconds", "rows"} <= declared
    job_args = template["spec"]["metrics"][0]["provider"]["job"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--rows-b64={{args.rows}}" in job_args and "--rps={{args.rps}}" in job_args
