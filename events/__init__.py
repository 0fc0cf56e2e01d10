"""Declarative events definitions of Sluicegate; imported only by `sluice render`.

`manifests()` returns every document this package defines, as plain dicts ready for YAML: the EventBus,
the EventSources (`github`, `mlflow`, `workflow-events`) and the Sensors (`train-on-push`,
`evaluate-on-mlflow`, `notify-outcome`) with one least-privilege ServiceAccount each, a NetworkPolicy in
front of each EventSource, the Ingress that exposes `github`, and the MLflow relay's Deployment, Service,
volume claim and NetworkPolicy.
"""

from __future__ import annotations

from typing import Any

from events._build import NAMESPACE
from events._bus import event_bus
from events._ingress import github_ingress
from events._policies import eventsource_policies
from events._relay import RELAY_NAME, RELAY_PORT, relay_manifests
from events._sensors import SLACK_SECRET, SensorsConfig, sensors
from events._sources import (
    GITHUB_PORT,
    MLFLOW_AUTH_SECRET,
    MLFLOW_EVENTS,
    MLFLOW_PORT,
    OUTCOME_AUTH_SECRET,
    OUTCOME_PORT,
    GithubConfig,
    event_sources,
    outcome_url,
    service_url,
)

__all__ = [
    "GITHUB_PORT",
    "MLFLOW_AUTH_SECRET",
    "MLFLOW_EVENTS",
    "MLFLOW_PORT",
    "NAMESPACE",
    "OUTCOME_AUTH_SECRET",
    "OUTCOME_PORT",
    "RELAY_NAME",
    "RELAY_PORT",
    "SLACK_SECRET",
    "GithubConfig",
    "SensorsConfig",
    "event_bus",
    "event_sources",
    "eventsource_policies",
    "github_ingress",
    "manifests",
    "outcome_url",
    "relay_manifests",
    "sensors",
    "service_url",
]


def manifests(github: GithubConfig | None = None, config: SensorsConfig | None = None) -> list[dict[str, Any]]:
    """Every document this package defines."""
    return [
        event_bus(),
        *event_sources(github),
        *eventsource_policies(),
        github_ingress(),
        *sensors(config),
        *relay_manifests(),
    ]
