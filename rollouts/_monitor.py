"""The PodMonitor that makes Prometheus scrape every model server with the labels the analyses query.

Built by `rollouts.manifests()`, once for all models: it selects the pods of every Rollout (they carry
`role: stable|canary` from the Rollout's stableMetadata/canaryMetadata) and turns the pod labels `app`
(the Rollout's name) and `role` into the series labels `rollout` and `role` that the AnalysisTemplates
(`rollouts._analysis`) and the Grafana dashboard filter on. kube-prometheus-stack picks it up from every
namespace (modules/argo-stack sets podMonitorSelectorNilUsesHelmValues: false).
"""

from __future__ import annotations

from rollouts._analysis import NAMESPACE
from rollouts._models import ObjectMeta, Resource

__all__ = ["POD_MONITOR", "SERIES_LABELS", "pod_monitor"]

POD_MONITOR = "model-servers"
#: Series label -> the pod label it is copied from.
SERIES_LABELS = {"rollout": "app", "role": "role"}


def _meta_label(pod_label: str) -> str:
    """Prometheus's Kubernetes discovery label for a pod label (non-alphanumerics become `_`)."""
    return "__meta_kubernetes_pod_label_" + "".join(c if c.isalnum() else "_" for c in pod_label)


def pod_monitor() -> Resource:
    """PodMonitor `model-servers`: port `http`, path /metrics, with `rollout` and `role` labels."""
    relabelings = [
        {"sourceLabels": [_meta_label(pod)], "targetLabel": series, "action": "replace"}
        for series, pod in SERIES_LABELS.items()
    ]
    return Resource(
        api_version="monitoring.coreos.com/v1",
        kind="PodMonitor",
        metadata=ObjectMeta(name=POD_MONITOR, namespace=NAMESPACE, labels={"app.kubernetes.io/part-of": "sluicegate"}),
        spec={
            "selector": {
                "matchLabels": {"app.kubernetes.io/part-of": "sluicegate"},
                "matchExpressions": [
                    {"key": "app", "operator": "Exists"},
                    {"key": "role", "operator": "In", "values": ["stable", "canary"]},
                ],
            },
            "podMetricsEndpoints": [
                {"port": "http", "path": "/metrics", "interval": "15s", "relabelings": relabelings}
            ],
        },
    )
