"""The exit handler `record-outcome`: prints the workflow's outcome as one JSON line, optionally POSTs it.

Called by `workflows.model_pipeline` and `workflows.evaluate_and_deploy`, which name it in `onExit`.
It runs a stock Python image (no components, so it works even when the components image is the thing
that broke) and reads everything from environment variables, so no workflow value is ever pasted into
the script's source. With `notify-url` set it also POSTs the record there (e.g. a webhook EventSource
that announces outcomes); a failed POST is a warning, not a failed exit handler.
"""

from __future__ import annotations

from collections.abc import Sequence

from hera.workflows import Env, Script

from workflows._common import RECORD_IMAGE, SERVICE_ACCOUNT, Sizing, container_security, pod_security, retry, tmp_volume

__all__ = ["NAME", "SOURCE", "record_outcome"]

NAME = "record-outcome"
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
import json
import os
import sys
import urllib.request

env = os.environ
raw = env.get("WORKFLOW_FAILURES", "")
try:
    failures = json.loads(raw) or []
except ValueError:
    failures = [{"message": raw}]
record = {
    "workflow": env.get("WORKFLOW_NAME", ""),
    "namespace": env.get("WORKFLOW_NAMESPACE", ""),
    "status": env.get("WORKFLOW_STATUS", ""),
    "duration": env.get("WORKFLOW_DURATION", ""),
    "failures": failures,
    "parameters": {k[2:].lower().replace("_", "-"): v for k, v in sorted(env.items()) if k.startswith("P_")},
}
body = json.dumps(record, sort_keys=True)
print(body)
url = env.get("NOTIFY_URL", "")
if url:
    request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except OSError as e:
        print(f"warning: could not POST the outcome to {url}: {e}", file=sys.stderr)
"""


def record_outcome(parameters: Sequence[str]) -> Script:
    """The exit handler template; `parameters` are the workflow parameters copied into the record.

    The workflow must declare a `notify-url` parameter.
    """
    env = [
        Env(name="WORKFLOW_NAME", value="{{workflow.name}}"),
        Env(name="WORKFLOW_NAMESPACE", value="{{workflow.namespace}}"),
        Env(name="WORKFLOW_STATUS", value="{{workflow.status}}"),
        Env(name="WORKFLOW_FAILURES", value="{{workflow.failures}}"),
        Env(name="WORKFLOW_DURATION", value="{{workflow.duration}}"),
        Env(name="NOTIFY_URL", value="{{workflow.parameters.notify-url}}"),
        Env(name="PYTHONDONTWRITEBYTECODE", value="1"),
        *(Env(name="P_" + p.upper().replace("-", "_"), value=f"{{{{workflow.parameters.{p}}}}}") for p in parameters),
    ]
    return Script(
        name=NAME,
        image=RECORD_IMAGE,
        command=["python"],
        source=SOURCE,
        env=env,
        volumes=[tmp_volume(SIZING.scratch)],
        resources=SIZING.resources(),
        security_context=container_security(),
        pod_security_context=pod_security(),
        service_account_name=SERVICE_ACCOUNT,
        active_deadline_seconds=SIZING.deadline,
        retry_strategy=retry(1),
    )
