"""Declarative rollouts definitions of Sluicegate; imported only by `sluice render`.

`manifests()` returns every document this package defines, as plain dicts ready for YAML: the shared
AnalysisTemplates and the PodMonitor of all model servers, then per model service (`MODEL_SERVICES`, empty
by default: the pipeline's deploy step applies each model's Rollout, stable/canary Services and Ingress,
built by `rollout`/`services`/`ingress`).
"""

from __future__ import annotations

from typing import Any

from rollouts._analysis import LATENCY, SMOKE, STRESS_TEST, SUCCESS_RATE, analysis_templates
from rollouts._models import AnalysisTemplate, Resource, Rollout
from rollouts._monitor import POD_MONITOR, SERIES_LABELS, pod_monitor
from rollouts._service import MODEL_SERVICES, MODEL_URI_ANNOTATION, ModelService, ingress, rollout, services

__all__ = [
    "LATENCY",
    "MODEL_SERVICES",
    "MODEL_URI_ANNOTATION",
    "POD_MONITOR",
    "SERIES_LABELS",
    "SMOKE",
    "STRESS_TEST",
    "SUCCESS_RATE",
    "AnalysisTemplate",
    "ModelService",
    "Resource",
    "Rollout",
    "ingress",
    "manifests",
    "pod_monitor",
    "rollout",
    "services",
]


def manifests(model_services: list[ModelService] | None = None) -> list[dict[str, Any]]:
    """Every document this package defines (for `model_services`, default `MODEL_SERVICES`)."""
    docs: list[dict[str, Any]] = [t.to_dict() for t in analysis_templates()]
    docs.append(pod_monitor().to_dict())
    for svc in MODEL_SERVICES if model_services is None else model_services:
        docs.append(rollout(svc).to_dict())
        docs += [s.to_dict() for s in services(svc)]
        docs.append(ingress(svc).to_dict())
    return docs
