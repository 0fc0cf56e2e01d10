"""What the rendered WorkflowTemplates and CronWorkflow promise: names, parameters, hardening, wiring."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hera.workflows import models as m

import workflows

STEP_TEMPLATES = ("train", "evaluate", "build", "stress-test")
GATES = ("min-improvement", "p99-latency-ms", "max-error-rate", "target-rps")
MODEL_CLASSES = {"WorkflowTemplate": m.WorkflowTemplate, "CronWorkflow": m.CronWorkflow}


@pytest.fixture(autouse=True)
def default_image(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_COMPONENTS_IMAGE", raising=False)


def _docs() -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"]["name"]): d for d in workflows.manifests()}


def _template(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in doc["spec"]["templates"] if t["name"] == name)


def _dropped(original: Any, dumped: Any, path: str = "") -> list[str]:
    """Keys of `original` that a model round trip lost: fields the model does not know."""
    if isinstance(original, dict) and isinstance(dumped, dict):
        return [
            p
            for k, v in original.items()
            for p in ([f"{path}.{k}"] if k not in dumped else _dropped(v, dumped[k], f"{path}.{k}"))
        ]
    if isinstance(original, list) and isinstance(dumped, list):
        return [
            p for i, (a, b) in enumerate(zip(original, dumped, strict=False)) for p in _dropped(a, b, f"{path}[{i}]")
        ]
    return []


def test_definitions_render_the_expected_objects() -> None:
    assert sorted(_docs()) == sorted(
        [
            ("WorkflowTemplate", n)
            for n in (
                *STEP_TEMPLATES,
                "evaluate-and-deploy",
                "model-pipeline",
                "train-project",
                "evaluate-project",
                "project-pipeline",
                "evaluate-project-version",
            )
        ]
        + [("CronWorkflow", "scheduled-retrain")]
        + [(k, "sluicegate-pipeline") for k in ("ServiceAccount", "Role", "RoleBinding")]
    )
    assert {d["metadata"]["namespace"] for d in _docs().values()} == {"sluicegate"}


@pytest.mark.parametrize("key", [k for k in _docs() if k[0] in MODEL_CLASSES], ids=lambda k: f"{k[0]}/{k[1]}")
def test_definition_validates_with_hera_models_and_loses_no_field(key: tuple[str, str]) -> None:
    doc = _docs()[key]
    model = MODEL_CLASSES[key[0]].model_validate(doc)
    assert _dropped(doc, model.model_dump(by_alias=True, exclude_none=True)) == []


def _pod_templates() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{name}/{t['name']}", t)
        for (kind, name), doc in _docs().items()
        if kind == "WorkflowTemplate"
        for t in doc["spec"]["templates"]
        if "dag" not in t and "steps" not in t
    ]


@pytest.mark.parametrize("where,template", _pod_templates(), ids=lambda v: v if isinstance(v, str) else "")
def test_pod_template_is_hardened_and_bounded(where: str, template: dict[str, Any]) -> None:
    assert template["serviceAccountName"] == "sluicegate-pipeline", where
    assert int(template["activeDeadlineSeconds"]) > 0
    assert template["retryStrategy"]["retryPolicy"] == "OnError"
    if where == "train-project/build-image":  # Kaniko unpacks images over its own root: root, writable root
        security = template["container"]["securityContext"]
        assert security["allowPrivilegeEscalation"] is False and security["privileged"] is False
        assert template["container"]["image"].startswith("gcr.io/kaniko-project/executor:v")
        return
    pod = template["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0
    body = template.get("container") or template.get("script")
    if body is None:
        assert template["resource"]["action"] in ("apply", "get")  # the deploy steps and their waits
        return
    assert body["securityContext"]["readOnlyRootFilesystem"] is True
    assert body["securityContext"]["allowPrivilegeEscalation"] is False
    resources = body["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}
    assert body["volumeMounts"] == [{"mountPath": "/tmp", "name": "tmp"}]
    assert template["volumes"][0]["name"] == "tmp" and "emptyDir" in template["volumes"][0]


@pytest.mark.parametrize("name", STEP_TEMPLATES)
def test_step_runs_its_component_and_reads_outputs_from_files(name: str) -> None:
    step = _template(_docs()["WorkflowTemplate", name], name)
    module = name.replace("-", "_")
    assert step["container"]["command"] == ["python", "-m", f"components.{module}"]
    assert step["container"]["image"] == "ghcr.io/sluicegate/components:0.1.0"
    assert "--outputs-dir=/tmp/outputs" in step["container"]["args"]
    for output in step["outputs"]["parameters"]:
        assert output["valueFrom"] == {"path": f"/tmp/outputs/{output['name']}"}


def test_components_image_is_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_COMPONENTS_IMAGE", "registry.example/components:9")
    step = _template(_docs()["WorkflowTemplate", "train"], "train")
    assert step["container"]["image"] == "registry.example/components:9"


def test_train_checks_out_the_revision_and_reads_params_from_it() -> None:
    step = _template(_docs()["WorkflowTemplate", "train"], "train")
    (source,) = step["inputs"]["artifacts"]
    assert source["path"] == "/tmp/src"
    assert source["git"] == {"repo": "{{inputs.parameters.git-repo}}", "revision": "{{inputs.parameters.git-revision}}"}
    assert "--params-file=/tmp/src/{{inputs.parameters.params-file}}" in step["container"]["args"]
    assert {o["name"] for o in step["outputs"]["parameters"]} == {"run-id", "model-uri", "model-version", "metrics"}


def test_build_outputs_the_bundle_as_an_artifact() -> None:
    step = _template(_docs()["WorkflowTemplate", "build"], "build")
    assert step["outputs"]["artifacts"] == [{"name": "bundle", "path": "/tmp/bundle"}]
    assert "--out=/tmp/bundle" in step["container"]["args"]


def test_model_pipeline_declares_every_pipeline_parameter() -> None:
    spec = _docs()["WorkflowTemplate", "model-pipeline"]["spec"]
    names = {p["name"] for p in spec["arguments"]["parameters"]}
    assert {"git-repo", "git-revision", "model-name", "dataset", "params-file", "mlflow-tracking-uri", *GATES} <= names
    assert spec["onExit"] == "record-outcome"
    assert spec["entrypoint"] == "model-pipeline"


def test_model_pipeline_trains_then_reuses_evaluate_and_deploy() -> None:
    dag = _template(_docs()["WorkflowTemplate", "model-pipeline"], "model-pipeline")["dag"]
    tasks = {t["name"]: t for t in dag["tasks"]}
    assert tasks["train"]["templateRef"] == {"name": "train", "template": "train"}
    follow = tasks["evaluate-and-deploy"]
    assert follow["templateRef"] == {"name": "evaluate-and-deploy", "template": "evaluate-and-deploy"}
    assert follow["depends"] == "train.Succeeded"
    args = {p["name"]: p["value"] for p in follow["arguments"]["parameters"]}
    assert args["model-version"] == "{{tasks.train.outputs.parameters.model-version}}"


def test_evaluate_and_deploy_builds_only_on_promote_and_deploys_last() -> None:
    doc = _docs()["WorkflowTemplate", "evaluate-and-deploy"]
    tasks = {t["name"]: t for t in _template(doc, "evaluate-and-deploy")["dag"]["tasks"]}
    applies = ["apply-stable-service", "apply-canary-service", "apply-ingress"]
    assert list(tasks) == ["evaluate", "build", "serve-env", "stress-test", *applies, "deploy"]
    assert "promote" in tasks["build"]["when"] and "decision" in tasks["build"]["when"]
    # A Skipped build must stop the chain: bare dependencies would let the next task run.
    assert tasks["serve-env"]["depends"] == "build.Succeeded"
    assert tasks["stress-test"]["depends"] == "serve-env.Succeeded"
    assert all(tasks[a]["depends"] == "stress-test.Succeeded" for a in applies)
    assert tasks["deploy"]["depends"] == " && ".join(f"{a}.Succeeded" for a in applies)
    names = {p["name"] for p in doc["spec"]["arguments"]["parameters"]}
    assert {"model-name", "model-version", "mlflow-tracking-uri", "dataset", "service-url", *GATES} <= names
    required = [p["name"] for p in doc["spec"]["arguments"]["parameters"] if "value" not in p]
    assert required == ["model-version"]


def test_serve_env_builds_environments_and_the_sandboxed_stress_test_does_not() -> None:
    doc = _docs()["WorkflowTemplate", "stress-test"]
    builder = "sluicegate.io/builds-environments"
    prepare = _template(doc, "serve-env")
    assert prepare["metadata"]["annotations"][builder] == "true"
    assert "--prepare-env" in prepare["container"]["args"]
    assert builder not in (_template(doc, "stress-test").get("metadata") or {}).get("annotations", {})


def test_deploy_applies_the_models_own_rollout_and_services() -> None:
    import yaml

    doc = _docs()["WorkflowTemplate", "evaluate-and-deploy"]
    steps = [s["template"] for group in _template(doc, "deploy")["steps"] for s in group]
    assert steps == ["deploy-apply", "deploy-observed", "deploy-healthy", "tag-rollout"]
    tag = _template(doc, "tag-rollout")["container"]
    assert tag["command"] == ["python", "-m", "components.lineage"]
    assert "--rollout=sluicegate/{{inputs.parameters.model-name}}" in tag["args"]
    deploy = _template(doc, "deploy-apply")["resource"]
    assert deploy["action"] == "apply"
    assert "successCondition" not in deploy  # judged by deploy-healthy, once the status is current
    healthy = _template(doc, "deploy-healthy")["resource"]
    assert healthy["successCondition"] == "status.phase == Healthy"
    assert healthy["failureCondition"] == "status.phase == Degraded"
    rollout = yaml.safe_load(deploy["manifest"])
    assert rollout["kind"] == "Rollout" and rollout["metadata"]["name"] == "{{inputs.parameters.model-name}}"
    annotations = rollout["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "sluicegate.io/model-uri": "models:/{{inputs.parameters.model-name}}/{{inputs.parameters.model-version}}"
    }
    canary = rollout["spec"]["strategy"]["canary"]
    assert canary["canaryService"] == "{{inputs.parameters.model-name}}-canary"
    applied = {
        name: yaml.safe_load(_template(doc, name)["resource"]["manifest"])
        for name in ("apply-stable-service", "apply-canary-service", "apply-ingress")
    }
    assert [(d["kind"], d["metadata"]["name"]) for d in applied.values()] == [
        ("Service", "{{inputs.parameters.model-name}}-stable"),
        ("Service", "{{inputs.parameters.model-name}}-canary"),
        ("Ingress", "{{inputs.parameters.model-name}}"),
    ]


def test_project_pipeline_evaluates_in_the_project_env_and_deploys_with_its_limits() -> None:
    docs = _docs()
    tasks = {
        t["name"]: t
        for t in _template(docs["WorkflowTemplate", "project-pipeline"], "project-pipeline")["dag"]["tasks"]
    }
    applies = ["apply-stable-service", "apply-canary-service", "apply-ingress"]
    assert list(tasks) == ["train", "evaluate", "build", "serve-env", "stress-test", *applies, "deploy"]
    assert tasks["evaluate"]["templateRef"] == {"name": "evaluate-project", "template": "evaluate-project"}
    evaluate_args = {p["name"]: p["value"] for p in tasks["evaluate"]["arguments"]["parameters"]}
    assert evaluate_args["image"] == "{{tasks.train.outputs.parameters.image}}"
    assert "promote" in tasks["build"]["when"] and tasks["build"]["depends"] == "evaluate.Succeeded"
    assert tasks["deploy"]["templateRef"] == {"name": "evaluate-and-deploy", "template": "deploy"}
    stress = {p["name"]: p["value"] for p in tasks["stress-test"]["arguments"]["parameters"]}
    assert stress["target-rps"] == "{{tasks.evaluate.outputs.parameters.target-rps}}"
    assert tasks["stress-test"]["arguments"]["artifacts"] == [
        {"name": "rows", "from": "{{tasks.evaluate.outputs.artifacts.rows}}"}
    ]
    deploy = {p["name"]: p["value"] for p in tasks["deploy"]["arguments"]["parameters"]}
    assert deploy["canary-min-success-rate"] == "{{tasks.evaluate.outputs.parameters.canary-min-success-rate}}"

    evaluation = docs["WorkflowTemplate", "evaluate-project"]
    score = _template(evaluation, "score")
    # the user's models load in the project's environment image, without MLflow credentials
    assert score["script"]["image"] == "{{inputs.parameters.image}}"
    assert "mlflow.models.evaluate(" in score["script"]["source"]
    assert not any("MLFLOW_TRACKING" in e["name"] for e in score["script"].get("env", []))
    for name in ("prepare", "decide"):
        assert _template(evaluation, name)["container"]["image"] == "ghcr.io/sluicegate/components:0.1.0"


def test_evaluate_project_version_reuses_the_project_steps_and_deploys_as_project_pipeline() -> None:
    docs = _docs()
    doc = docs["WorkflowTemplate", "evaluate-project-version"]
    # nothing of its own but the DAG and the exit handler: every step is another template's, by templateRef
    assert [t["name"] for t in doc["spec"]["templates"]] == ["evaluate-project-version", "record-outcome"]
    assert doc["spec"]["onExit"] == "record-outcome"
    required = [p["name"] for p in doc["spec"]["arguments"]["parameters"] if "value" not in p]
    assert required == ["git-repo", "git-revision", "model-name", "model-version"]
    tasks = {t["name"]: t for t in _template(doc, "evaluate-project-version")["dag"]["tasks"]}
    pipeline = {
        t["name"]: t
        for t in _template(docs["WorkflowTemplate", "project-pipeline"], "project-pipeline")["dag"]["tasks"]
    }
    deploy = [
        "build",
        "serve-env",
        "stress-test",
        "apply-stable-service",
        "apply-canary-service",
        "apply-ingress",
        "deploy",
    ]
    assert list(tasks) == ["build-env", "build-image", "evaluate", *deploy]
    assert tasks["build-env"]["templateRef"] == {"name": "train-project", "template": "build-env"}
    assert tasks["build-image"]["templateRef"] == {"name": "train-project", "template": "build-image"}
    assert tasks["build-image"]["when"] == "{{tasks.build-env.outputs.parameters.build}} == true"
    assert tasks["evaluate"]["templateRef"] == {"name": "evaluate-project", "template": "evaluate-project"}
    assert tasks["evaluate"]["depends"] == "build-env.Succeeded && (build-image.Succeeded || build-image.Skipped)"
    evaluate_args = {p["name"]: p["value"] for p in tasks["evaluate"]["arguments"]["parameters"]}
    assert evaluate_args["image"] == "{{tasks.build-env.outputs.parameters.image}}"
    assert evaluate_args["model-version"] == "{{inputs.parameters.model-version}}"
    # the arguments build-env and build-image take are the ones they declare in train-project
    train = docs["WorkflowTemplate", "train-project"]
    for name in ("build-env", "build-image"):
        declared = {p["name"] for p in _template(train, name)["inputs"]["parameters"]}
        assert {p["name"] for p in tasks[name]["arguments"]["parameters"]} == declared
    # the deploy tasks are project-pipeline's, with the version given instead of one trained
    for name in deploy:
        ours, theirs = dict(tasks[name]), dict(pipeline[name])
        assert json.dumps(ours).replace("inputs.parameters.model-", "X") == json.dumps(theirs).replace(
            "tasks.train.outputs.parameters.model-", "X"
        ), name


def test_rollout_analysis_takes_the_canary_limits_of_the_deploy_step() -> None:
    import yaml

    doc = _docs()["WorkflowTemplate", "evaluate-and-deploy"]
    rollout = yaml.safe_load(_template(doc, "deploy-apply")["resource"]["manifest"])
    steps = rollout["spec"]["strategy"]["canary"]["steps"]
    assert {"pause": {"duration": "{{inputs.parameters.canary-pause}}"}} in steps
    analyses = [s["analysis"] for s in steps if "analysis" in s]
    for analysis in analyses:
        args = {a["name"]: a["value"] for a in analysis["args"]}
        assert args["minSuccessRate"] == "{{inputs.parameters.canary-min-success-rate}}"
        assert args["maxP99Ms"] == "{{inputs.parameters.canary-max-p99-latency-ms}}"
        assert args["count"] == "{{inputs.parameters.canary-count}}"
    last = {a["name"]: a["value"] for a in analyses[-1]["args"]}
    assert last["max-error-rate"] == "{{inputs.parameters.max-error-rate}}"
    defaults = {p["name"]: p.get("value") for p in doc["spec"]["arguments"]["parameters"]}
    assert defaults["canary-min-success-rate"] == "0.99" and defaults["canary-pause"] == "30s"


def test_scheduled_retrain_is_v4_cron_on_the_default_branch() -> None:
    spec = _docs()["CronWorkflow", "scheduled-retrain"]["spec"]
    assert spec["schedules"] and "schedule" not in spec
    assert spec["timezone"] == "UTC"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["workflowSpec"]["workflowTemplateRef"] == {"name": "model-pipeline"}
    assert spec["workflowSpec"]["arguments"]["parameters"] == [{"name": "git-revision", "value": "main"}]


def test_pipeline_role_grants_only_task_results_and_model_services() -> None:
    rules = _docs()["Role", "sluicegate-pipeline"]["rules"]
    resources = {r for rule in rules for r in rule["resources"]}
    assert resources == {"workflowtaskresults", "rollouts", "services", "ingresses"}
    assert all("*" not in rule["verbs"] and "delete" not in rule["verbs"] for rule in rules)


def test_train_project_builds_the_environment_image_with_kaniko_only_when_asked() -> None:
    doc = _docs()["WorkflowTemplate", "train-project"]
    tasks = {t["name"]: t for t in _template(doc, "train-project")["dag"]["tasks"]}
    kaniko = tasks["build-image"]
    assert kaniko["when"] == "{{tasks.build-env.outputs.parameters.build}} == true"
    assert kaniko["arguments"]["artifacts"] == [
        {"name": "context", "from": "{{tasks.build-env.outputs.artifacts.context}}"}
    ]
    # the entry point waits for the pushed image, and also runs when no build was needed (Skipped)
    assert (
        tasks["run-entry-point"]["depends"] == "start-run.Succeeded && (build-image.Succeeded || build-image.Skipped)"
    )
    assert (
        tasks["run-entry-point"]["arguments"]["parameters"][3]["value"]
        == "{{tasks.build-env.outputs.parameters.image}}"
    )
    build_env = _template(doc, "build-env")
    assert build_env["outputs"]["artifacts"] == [{"name": "context", "optional": True, "path": "/tmp/context"}]
    assert "--out=/tmp/context" in build_env["container"]["args"]
    step = _template(doc, "build-image")["container"]
    assert step["args"][:3] == [
        "--context=dir:///workspace/context",
        "--dockerfile=Dockerfile",
        "--destination={{inputs.parameters.image}}",
    ]
    volumes = {v["name"]: v for v in _template(doc, "build-image")["volumes"]}
    secret = volumes["registry-credentials"]["secret"]
    assert secret["secretName"] == "env-registry-credentials" and secret["optional"] is True
    assert secret["items"] == [{"key": ".dockerconfigjson", "path": "config.json"}]
    assert {"mountPath": "/kaniko/.docker", "name": "registry-credentials"} in step["volumeMounts"]
