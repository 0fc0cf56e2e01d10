"""The rendered events documents are wired together and with the WorkflowTemplates they submit."""

from __future__ import annotations

import re
from typing import Any

import events
import workflows
from events import GithubConfig, SensorsConfig
from sluicegate.eventing import filter_event
from sluicegate.eventing._model import EventDependency


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


DOCS = events.manifests()
SOURCES = _by_kind(DOCS, "EventSource")
SENSORS = _by_kind(DOCS, "Sensor")


def test_every_document_is_namespaced_and_named() -> None:
    for doc in DOCS:
        assert doc["metadata"]["namespace"] == "sluicegate"
        assert doc["metadata"]["name"]
    assert set(SOURCES) == {"github", "mlflow", "workflow-events"}
    assert set(SENSORS) == {"train-on-push", "evaluate-on-mlflow", "notify-outcome"}
    [bus] = [d for d in DOCS if d["kind"] == "EventBus"]
    assert bus["spec"]["jetstream"]["replicas"] >= 3


def test_github_source_serves_push_with_the_webhook_secret() -> None:
    push = SOURCES["github"]["spec"]["github"]["push"]
    assert push["events"] == ["push"]
    assert push["webhook"]["port"] == "12000" and push["webhook"]["endpoint"] == "/push"
    assert push["webhook"]["method"] == "POST"
    assert push["webhookSecret"] == {"name": "github-webhook", "key": "secret"}
    assert "apiToken" not in push
    registered = events.event_sources(
        GithubConfig(owner="acme", repositories=["models"], public_url="https://hooks.acme.dev", api_token_secret="gh")
    )[0]["spec"]["github"]["push"]
    assert registered["apiToken"] == {"name": "gh", "key": "token"}
    assert registered["repositories"] == [{"owner": "acme", "names": ["models"]}]


def test_sensor_dependencies_name_existing_events() -> None:
    served = {
        (name, ev)
        for name, doc in SOURCES.items()
        for kind in ("github", "webhook")
        for ev in doc["spec"].get(kind, {})
    }
    for sensor in SENSORS.values():
        for dep in sensor["spec"]["dependencies"]:
            assert (dep["eventSourceName"], dep["eventName"]) in served


def test_submitted_workflows_pass_only_declared_template_parameters() -> None:
    templates = {
        d["metadata"]["name"]: {p["name"] for p in d["spec"].get("arguments", {}).get("parameters", [])}
        for d in workflows.manifests()
        if d["kind"] == "WorkflowTemplate"
    }
    submits = 0
    for sensor in SENSORS.values():
        for trig in sensor["spec"]["triggers"]:
            wf_trigger = trig["template"].get("argoWorkflow")
            if wf_trigger is None:
                continue
            submits += 1
            wf = wf_trigger["source"]["resource"]
            ref = wf["spec"]["workflowTemplateRef"]["name"]
            assert ref in templates, f"{ref} is not a WorkflowTemplate"
            names = [p["name"] for p in wf["spec"]["arguments"]["parameters"]]
            assert set(names) <= templates[ref]
            dests = [p["dest"] for p in wf_trigger["parameters"]]
            # event values fill the first arguments; the rest are fixed in the Workflow (build-target)
            assert dests == [f"spec.arguments.parameters.{i}.value" for i in range(len(dests))]
            fixed = wf["spec"]["arguments"]["parameters"][len(dests) :]
            assert all(p["value"] for p in fixed)
            assert trig["atLeastOnce"] is True and trig["dlqTrigger"]["template"]["log"] == {}
            assert trig["retryStrategy"]["steps"] >= 2
    assert submits == 5


def test_each_sensor_account_may_only_submit_workflows() -> None:
    # What `argo submit` and the argoWorkflow trigger call (tests/infra/test_first_install.py), no more.
    allowed = [
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create", "list"]},
        {"apiGroups": ["argoproj.io"], "resources": ["workflowtemplates"], "verbs": ["get"]},
    ]
    roles = _by_kind(DOCS, "Role")
    bindings = _by_kind(DOCS, "RoleBinding")
    for sensor in SENSORS.values():
        sa = sensor["spec"]["template"]["serviceAccountName"]
        assert bindings[sa]["roleRef"]["name"] == sa and bindings[sa]["subjects"][0]["name"] == sa
        for rule in roles[sa]["rules"]:
            assert rule in allowed
    assert roles["notify-outcome-sensor"]["rules"] == []


def test_every_push_to_the_default_branch_starts_project_pipeline_unless_paths_are_given() -> None:
    sensor = SENSORS["train-on-push"]
    assert "data" not in sensor["spec"]["dependencies"][0]["filters"]
    wf = sensor["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"]["resource"]
    assert wf["spec"]["workflowTemplateRef"]["name"] == "project-pipeline"
    args = {p["name"]: p["value"] for p in wf["spec"]["arguments"]["parameters"]}
    assert args == {"git-repo": "", "git-revision": "", "build-target": "auto"}


def test_training_paths_are_configurable() -> None:
    regex = events._sensors.paths_regex(("params.yaml", "src/"))
    assert re.search(regex, '[["src/model.py"]]') and re.search(regex, '[["params.yaml"]]')
    assert not re.search(regex, '[["docs/params.yaml.bak", "x/src/y"]]')
    custom = events.sensors(SensorsConfig(training_paths=("models/",)))
    sensor = next(d for d in custom if d["kind"] == "Sensor" and d["metadata"]["name"] == "train-on-push")
    values = [f["value"][0] for f in sensor["spec"]["dependencies"][0]["filters"]["data"]]
    assert all("models/" in v for v in values)


def test_slack_triggers_read_the_bot_token_secret() -> None:
    slack = [
        t["template"]["slack"] for s in SENSORS.values() for t in s["spec"]["triggers"] if "slack" in t["template"]
    ]
    assert len(slack) == 2
    assert all(s["slackToken"] == {"name": "slack-bot", "key": "token"} for s in slack)


def test_relay_deployment_posts_to_the_mlflow_event_source_and_keeps_its_state() -> None:
    deployment = _by_kind(DOCS, "Deployment")["mlflow-relay"]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    args = container["args"]
    assert args[args.index("--sink") + 1] == "http://mlflow-eventsource-svc.sluicegate.svc:12001/mlflow"
    secret_file = args[args.index("--secret-file") + 1]
    [mount] = [m for m in container["volumeMounts"] if secret_file.startswith(m["mountPath"] + "/")]
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "mlflow-webhook" and secret_file.endswith("/secret")
    assert "env" not in container  # the secret is a mounted file, never an environment variable
    assert pod["automountServiceAccountToken"] is False
    claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert claim in _by_kind(DOCS, "PersistentVolumeClaim")
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    service = _by_kind(DOCS, "Service")["mlflow-relay"]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_every_event_source_that_starts_work_authenticates_its_sender() -> None:
    for name, source in SOURCES.items():
        for event, hook in (source["spec"].get("webhook") or {}).items():
            assert hook.get("authSecret", {}).get("key"), f"{name}/{event} accepts unauthenticated events"
        for event, push in (source["spec"].get("github") or {}).items():
            assert push.get("webhookSecret"), f"{name}/{event} accepts unsigned pushes"
    assert SOURCES["mlflow"]["spec"]["webhook"]["run-finished"]["authSecret"] == {
        "name": "mlflow-events-auth",
        "key": "token",
    }
    assert SOURCES["workflow-events"]["spec"]["webhook"]["outcome"]["authSecret"]["name"] == "workflow-events-auth"


def test_only_the_relay_and_the_exit_handler_hold_the_event_source_tokens() -> None:
    [relay] = [d for d in DOCS if d["kind"] == "Deployment"]
    pod = relay["spec"]["template"]["spec"]
    args = pod["containers"][0]["args"]
    token_file = args[args.index("--sink-token-file") + 1]
    mounted = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if token_file.startswith(m["mountPath"]))
    assert mounted[mount["name"]] == "mlflow-events-auth" and token_file.endswith("/token")
    handlers = [
        t
        for doc in workflows.manifests()
        for t in (doc.get("spec") or {}).get("templates") or []
        if t["name"] == "record-outcome"
    ]
    assert handlers
    for t in handlers:
        ref = {e["name"]: e for e in t["script"]["env"]}["NOTIFY_TOKEN"]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"], ref["optional"]) == ("workflow-events-auth", "token", True)


def test_a_network_policy_fronts_each_event_source() -> None:
    policies = {
        d["spec"]["podSelector"]["matchLabels"].get("eventsource-name"): d for d in DOCS if d["kind"] == "NetworkPolicy"
    }
    assert set(SOURCES) <= set(policies)
    [mlflow_rule] = policies["mlflow"]["spec"]["ingress"]
    assert mlflow_rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "mlflow-relay"}}}]
    assert mlflow_rule["ports"] == [{"protocol": "TCP", "port": 12001}]
    [outcome_rule] = policies["workflow-events"]["spec"]["ingress"]
    [peer] = outcome_rule["from"]
    assert peer["podSelector"]["matchExpressions"][0]["key"] == "workflows.argoproj.io/workflow"
    [github_rule] = policies["github"]["spec"]["ingress"]
    assert github_rule["ports"] == [{"protocol": "TCP", "port": 12000}]


def test_evaluation_requests_go_to_the_project_template_exactly_when_the_run_names_its_source() -> None:
    sensor = SENSORS["evaluate-on-mlflow"]
    deps = {d["name"]: d for d in sensor["spec"]["dependencies"]}
    routes = {}
    for trigger in sensor["spec"]["triggers"]:
        wf = trigger["template"]["argoWorkflow"]["source"]["resource"]
        dep = deps[trigger["template"]["conditions"]]
        source = {f["path"]: f["value"] for f in dep["filters"]["data"] if f["path"].startswith("body.git_")}
        keys = [p["src"]["dataKey"] for p in trigger["template"]["argoWorkflow"]["parameters"]]
        routes[dep["eventName"], wf["spec"]["workflowTemplateRef"]["name"]] = (source, keys)
    assert set(routes) == {
        (event, template)
        for event in ("model-version-created", "run-finished")
        for template in ("evaluate-and-deploy", "evaluate-project-version")
    }
    for event, version_keys in (
        ("model-version-created", ["body.name", "body.version"]),
        ("run-finished", ["body.model_name", "body.model_version"]),
    ):
        builtin, project = routes[event, "evaluate-and-deploy"], routes[event, "evaluate-project-version"]
        assert builtin == ({}, version_keys)  # "no source" is the script filter, checked below
        assert project == (
            {"body.git_repo": ["."], "body.git_revision": ["."]},
            [*version_keys, "body.git_repo", "body.git_revision"],
        )
    # an event names a source, names none, or (from an older relay) has no such field: exactly one route each
    asked = {"produced_by_pipeline": False, "evaluate_tagged": True, "registered_after_run": True}
    for fields, route in (
        ({"git_repo": "https://github.com/acme/churn", "git_revision": "abc"}, "project-version-created"),
        ({"git_repo": "", "git_revision": ""}, "version-created"),
        ({}, "version-created"),
    ):
        event = {"body": {**asked, "name": "m", "version": "3", **fields}}
        passed = {name for name, dep in deps.items() if filter_event(EventDependency.model_validate(dep), {}, event)[0]}
        assert passed == {route}, fields
    # the same request filters on both routes: only the source differs
    for name in ("version-created", "run-finished"):
        same = [f for f in deps[name]["filters"]["data"] if not f["path"].startswith("body.git_")]
        assert same == [f for f in deps[f"project-{name}"]["filters"]["data"] if not f["path"].startswith("body.git_")]


def test_event_data_never_chooses_the_mlflow_server() -> None:
    for trigger in SENSORS["evaluate-on-mlflow"]["spec"]["triggers"]:
        params = trigger["template"]["argoWorkflow"]["parameters"]
        assert all("tracking_uri" not in (p["src"].get("dataKey") or "") for p in params)
        wf = trigger["template"]["argoWorkflow"]["source"]["resource"]
        assert "mlflow-tracking-uri" not in {p["name"] for p in wf["spec"]["arguments"]["parameters"]}
