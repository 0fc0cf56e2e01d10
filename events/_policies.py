"""NetworkPolicies in front of the EventSources: each accepts connections only from its senders.

Called by `events.manifests()`. Argo Events labels an EventSource's pods `eventsource-name: <name>`. The
`mlflow` EventSource takes connections from the relay's pods only, `workflow-events` from workflow pods
(the exit handler) only, `github` on its webhook port only (GitHub's deliveries come through the
cluster's ingress, from outside). The bearer tokens and the HMAC signature stay the authentication;
these policies narrow who can even try.
"""

from __future__ import annotations

from typing import Any

from events._build import meta
from events._relay import RELAY_NAME
from events._sources import GITHUB_PORT, MLFLOW_PORT, OUTCOME_PORT

__all__ = ["EVENTSOURCE_LABEL", "WORKFLOW_POD_LABEL", "eventsource_policies"]

#: The label Argo Events puts on an EventSource's pods.
EVENTSOURCE_LABEL = "eventsource-name"
#: The label Argo Workflows puts on every pod of a workflow (value: the workflow's name).
WORKFLOW_POD_LABEL = "workflows.argoproj.io/workflow"


def _policy(source: str, port: int, peers: list[dict[str, Any]] | None) -> dict[str, Any]:
    rule: dict[str, Any] = {"ports": [{"protocol": "TCP", "port": port}]}
    if peers is not None:
        rule["from"] = peers
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(f"{source}-eventsource").model_dump(by_alias=True, exclude_none=True),
        "spec": {
            "podSelector": {"matchLabels": {EVENTSOURCE_LABEL: source}},
            "policyTypes": ["Ingress"],
            "ingress": [rule],
        },
    }


def eventsource_policies() -> list[dict[str, Any]]:
    """One NetworkPolicy per EventSource."""
    relay = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": RELAY_NAME}}}
    workflows = {"podSelector": {"matchExpressions": [{"key": WORKFLOW_POD_LABEL, "operator": "Exists"}]}}
    return [
        _policy("github", GITHUB_PORT, None),  # any peer, webhook port only
        _policy("mlflow", MLFLOW_PORT, [relay]),
        _policy("workflow-events", OUTCOME_PORT, [workflows]),
    ]
