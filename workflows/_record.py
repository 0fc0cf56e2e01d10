"""The exit handler `record-outcome`: prints the workflow's outcome as one JSON line, optionally POSTs it.

Called by `workflows.model_pipeline` and `workflows.evaluate_and_deploy`, which name it in `onExit`.
It runs a stock Python image (no components, so it works even when the components image is the thing
that broke) and reads everything from environment variables, so no workflow value is ever pasted into
the script's source. When the workflow names an MLflow server and a model, the record also carries the
model version the workflow registered (found by its `argo.workflow` tag) or judged, the evaluate
decision, the training run's metrics and a link to it, and a link to the evaluation report (`report_url`).
A failed workflow's record has `reason`: `<step>: <one line>`, the first failed step's node message without
Argo's `main: Error (exit code N): ` prefix (the line a component wrote as its termination message), or the
last line of the first failure when none is one line (a traceback's tail).
It also POSTs the record to the `workflow-events` EventSource (`NOTIFY_URL`, fixed by the template: no
workflow parameter can send the record, or the bearer token of Secret `workflow-events-auth` that goes with
it, anywhere else), when the Secret exists. A failed lookup or POST is a warning, never a failed exit
handler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hera.workflows import Env, Script, SecretEnv, WorkflowTemplate

from workflows._common import RECORD_IMAGE, Sizing, mlflow_auth_env, params, step_pod
from workflows._step import Params, workflow_template

__all__ = [
    "EXIT_PARAMETERS",
    "NAME",
    "NOTIFY_TOKEN_SECRET",
    "NOTIFY_URL",
    "SOURCE",
    "record_outcome",
    "recorded_pipeline",
]

NAME = "record-outcome"
#: Read only by the exit handler, so they are workflow arguments but not inputs of the DAG. None today: where
#: the exit handler posts its record is fixed by its template (`NOTIFY_URL`).
EXIT_PARAMETERS = params()
#: Where the record goes: the `workflow-events` EventSource's Service (on one machine the engine maps it to
#: the stack's own EventSource). Fixed here, never a parameter, because the bearer token goes with it.
NOTIFY_URL = "http://workflow-events-eventsource-svc.sluicegate.svc:12002/workflow-outcome"
#: Secret (name, key) of the `workflow-events` EventSource's bearer token; repeated from `events` because
#: the workflow definitions do not import the events definitions.
NOTIFY_TOKEN_SECRET = ("workflow-events-auth", "token")
SIZING = Sizing(
    cpu_request="50m",
    cpu_limit="200m",
    memory_request="64Mi",
    memory_limit="128Mi",
    scratch="16Mi",
    deadline_seconds=120,
)

#: The script; `P_<NAME>` variables become the record's `parameters` (`P_MODEL_NAME` -> `model-name`).
SOURCE = """\
import base64
import json
import os
import sys
import urllib.parse
import urllib.request

env = os.environ
raw = env.get("WORKFLOW_FAILURES", "")
try:
    failures = json.loads(raw) or []
except ValueError:
    failures = [{"message": raw}]
params = {k[2:].lower().replace("_", "-"): v for k, v in sorted(env.items()) if k.startswith("P_")}
record = {
    "workflow": env.get("WORKFLOW_NAME", ""),
    "namespace": env.get("WORKFLOW_NAMESPACE", ""),
    "status": env.get("WORKFLOW_STATUS", ""),
    "duration": env.get("WORKFLOW_DURATION", ""),
    "failures": failures,
    "parameters": params,
}


def said(failure):
    text = str(failure.get("message") or "")
    head, sep, rest = text.partition("): ")
    if sep and " (exit code " in head and len(head.split()) == 5:  # Argo's "main: Error (exit code 2): "
        text = rest
    return str(failure.get("displayName") or "step"), text.strip()


reasons = [said(f) for f in failures if isinstance(f, dict) and f.get("message")]
if reasons:
    step, text = next(((s, t) for s, t in reasons if t and "\\n" not in t), reasons[0])
    lines = text.splitlines()
    record["reason"] = f"{step}: {lines[-1]}" if lines else step


def mlflow(uri, path, **query):
    url = uri.rstrip("/") + "/api/2.0/mlflow/" + path + "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(url)
    if env.get("MLFLOW_TRACKING_USERNAME"):  # MLflow's basic-auth app
        user = env["MLFLOW_TRACKING_USERNAME"] + ":" + env.get("MLFLOW_TRACKING_PASSWORD", "")
        request.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


# The model version this workflow produced or judged, its decision, metrics and run, from MLflow.
# A model project's pipeline may leave the model name to sluicegate.yaml: then the version is found by tag.
uri = params.get("mlflow-tracking-uri", "")
model = params.get("model-name", "") or params.get("project-model-name", "")
if uri:
    try:
        if model and params.get("model-version"):
            found = [mlflow(uri, "model-versions/get", name=model, version=params["model-version"])["model_version"]]
        else:
            query = f"tags.`argo.workflow`='{record['workflow']}'" + (f" and name='{model}'" if model else "")
            found = mlflow(uri, "model-versions/search", filter=query).get("model_versions", [])
        if found:
            version = max(found, key=lambda v: int(v["version"]))
            tags = {t["key"]: t["value"] for t in version.get("tags", [])}
            params.setdefault("model-version", version["version"])
            params["model-name"] = version["name"]
            record["decision"] = tags.get("evaluate.decision", "")
            if tags.get("evaluate.run-id"):  # the evaluation report (metrics side by side, MLflow's plots)
                judged = mlflow(uri, "runs/get", run_id=tags["evaluate.run-id"])["run"]["info"]
                record["report_url"] = (
                    f"{uri.rstrip('/')}/#/experiments/{judged['experiment_id']}/runs/{judged['run_id']}"
                    "/artifacts/evaluation/report.html"
                )
            if version.get("run_id"):
                run = mlflow(uri, "runs/get", run_id=version["run_id"])["run"]
                record["metrics"] = {m["key"]: m["value"] for m in run["data"].get("metrics", [])}
                experiment = run["info"]["experiment_id"]
                record["run_url"] = f"{uri.rstrip('/')}/#/experiments/{experiment}/runs/{version['run_id']}"
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"warning: could not read the model version from MLflow at {uri}: {e}", file=sys.stderr)

body = json.dumps(record, sort_keys=True)
print(body)
url = env.get("NOTIFY_URL", "")
if url and env.get("NOTIFY_TOKEN"):  # without the Secret there is no one to tell
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + env["NOTIFY_TOKEN"]}
    request = urllib.request.Request(url, data=body.encode(), headers=headers)
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except OSError as e:
        print(f"warning: could not POST the outcome to {url}: {e}", file=sys.stderr)
"""


def record_outcome(parameters: Sequence[str]) -> Script:
    """The exit handler template; `parameters` are the workflow parameters copied into the record."""
    env = [
        Env(name="WORKFLOW_NAME", value="{{workflow.name}}"),
        Env(name="WORKFLOW_NAMESPACE", value="{{workflow.namespace}}"),
        Env(name="WORKFLOW_STATUS", value="{{workflow.status}}"),
        Env(name="WORKFLOW_FAILURES", value="{{workflow.failures}}"),
        Env(name="WORKFLOW_DURATION", value="{{workflow.duration}}"),
        Env(name="NOTIFY_URL", value=NOTIFY_URL),
        *mlflow_auth_env(),
        # optional: a namespace without the Secret still prints its outcomes (and posts nothing)
        SecretEnv(
            name="NOTIFY_TOKEN", secret_name=NOTIFY_TOKEN_SECRET[0], secret_key=NOTIFY_TOKEN_SECRET[1], optional=True
        ),
        Env(name="PYTHONDONTWRITEBYTECODE", value="1"),
        *(Env(name="P_" + p.upper().replace("-", "_"), value=f"{{{{workflow.parameters.{p}}}}}") for p in parameters),
    ]
    return Script(
        name=NAME,
        image=RECORD_IMAGE,
        command=["python"],
        source=SOURCE,
        env=env,
        **step_pod(SIZING, 1),
    )


def recorded_pipeline(
    name: str, parameters: Params, deadline_seconds: int, build: Callable[[], object], recorded: Sequence[str]
) -> WorkflowTemplate:
    """A pipeline WorkflowTemplate whose outcome is recorded on exit.

    `build()` makes the entrypoint template `name` (and any others) inside it; `record-outcome` runs on exit
    and copies the `recorded` workflow parameters into the record. The arguments are `parameters` plus
    `EXIT_PARAMETERS`.
    """
    with workflow_template(name, [*parameters, *EXIT_PARAMETERS], deadline_seconds, on_exit=NAME) as w:
        build()
        record_outcome(recorded)
    return w
