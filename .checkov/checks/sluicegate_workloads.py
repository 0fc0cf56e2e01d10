"""checkov checks for the pods our custom resources start, which checkov's own checks do not look into.

Loaded by checkov through `.checkov.yaml` (`external-checks-dir`); run by `make checkov` and by
tests/infra/test_checkov.py. Covers WorkflowTemplates, Workflows, CronWorkflows, Rollouts, Sensors and
EventSources: every container runs as non-root, with a read-only root filesystem, with resource requests
and limits, and takes no secret value inline (secrets come from Secrets via `valueFrom`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

__all__ = ["InlineSecrets", "NonRoot", "ReadOnlyRoot", "RequestsAndLimits"]

_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate", "Workflow", "CronWorkflow", "Rollout", "Sensor", "EventSource")
_SECRETISH = re.compile(r"(token|password|passwd|secret|api[-_]?key|private[-_]?key|credentials?)", re.IGNORECASE)
Container = tuple[str, dict[str, Any], dict[str, Any]]  # (where, container, pod-level securityContext)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _workflow_containers(spec: dict[str, Any]) -> Iterator[Container]:
    pod_sc = _dict(spec.get("securityContext"))
    for template in spec.get("templates") or []:
        template = _dict(template)
        sc = _dict(template.get("securityContext")) or pod_sc
        name = template.get("name", "?")
        for key in ("container", "script"):
            if key in template:
                yield f"templates[{name}].{key}", _dict(template[key]), sc
        for c in _dict(template.get("containerSet")).get("containers") or []:
            yield f"templates[{name}].containerSet", _dict(c), sc


def containers(doc: dict[str, Any]) -> Iterator[Container]:
    """Every container a document of one of our kinds starts, with the pod-level security context."""
    kind, spec = doc.get("kind"), _dict(doc.get("spec"))
    if kind in ("WorkflowTemplate", "ClusterWorkflowTemplate", "Workflow"):
        yield from _workflow_containers(spec)
    elif kind == "CronWorkflow":
        yield from _workflow_containers(_dict(spec.get("workflowSpec")))
    elif kind == "Rollout":
        pod = _dict(_dict(spec.get("template")).get("spec"))
        for c in pod.get("containers") or []:
            yield f"containers[{_dict(c).get('name', '?')}]", _dict(c), _dict(pod.get("securityContext"))
    elif kind in ("Sensor", "EventSource"):
        # The controller builds the pod from spec.template; with no container block it sets none of these.
        template = _dict(spec.get("template"))
        yield "template.container", _dict(template.get("container")), _dict(template.get("securityContext"))


class _ContainerCheck(BaseK8Check):
    def __init__(self, name: str, id: str) -> None:
        super().__init__(name=name, id=id, categories=(CheckCategories.KUBERNETES,), supported_entities=_KINDS)

    def _ok(self, container: dict[str, Any], pod_sc: dict[str, Any]) -> bool:
        raise NotImplementedError

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        found = list(containers(conf))
        if not found:
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if all(self._ok(c, sc) for _, c, sc in found) else CheckResult.FAILED


class NonRoot(_ContainerCheck):
    """Every container runs as non-root (its own or the pod's securityContext.runAsNonRoot)."""

    def __init__(self) -> None:
        super().__init__("Pods of our custom resources run as non-root", "CKV_SLUICE_1")

    def _ok(self, container: dict[str, Any], pod_sc: dict[str, Any]) -> bool:
        own = _dict(container.get("securityContext")).get("runAsNonRoot")
        return bool(own if own is not None else pod_sc.get("runAsNonRoot"))


class ReadOnlyRoot(_ContainerCheck):
    """Every container has a read-only root filesystem."""

    def __init__(self) -> None:
        super().__init__("Containers of our custom resources have a read-only root filesystem", "CKV_SLUICE_2")

    def _ok(self, container: dict[str, Any], pod_sc: dict[str, Any]) -> bool:
        return bool(_dict(container.get("securityContext")).get("readOnlyRootFilesystem"))


class RequestsAndLimits(_ContainerCheck):
    """Every container sets CPU and memory requests and limits."""

    def __init__(self) -> None:
        super().__init__("Containers of our custom resources set CPU/memory requests and limits", "CKV_SLUICE_3")

    def _ok(self, container: dict[str, Any], pod_sc: dict[str, Any]) -> bool:
        res = _dict(container.get("resources"))
        return all({"cpu", "memory"} <= set(_dict(res.get(k))) for k in ("requests", "limits"))


class InlineSecrets(_ContainerCheck):
    """No container takes a secret-looking environment variable as an inline value."""

    def __init__(self) -> None:
        super().__init__("Containers of our custom resources take no secret value inline", "CKV_SLUICE_4")

    def _ok(self, container: dict[str, Any], pod_sc: dict[str, Any]) -> bool:
        for env in container.get("env") or []:
            env = _dict(env)
            if _SECRETISH.search(str(env.get("name", ""))) and env.get("value") not in (None, ""):
                return False
        return True


checks = (NonRoot(), ReadOnlyRoot(), RequestsAndLimits(), InlineSecrets())
