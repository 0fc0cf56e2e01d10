"""What a running Workflow waits on, and why a failed one failed, for `sluice get` and `sluice submit --wait`.

Called by `sluicegate.cli._workflows`. It reads the Workflow as Argo stores it (nodes, and the templates in
`status.storedWorkflowTemplateSpec` or `spec.templates`), so it works the same against the local stack and
a cluster's Argo Server. A step that waits on a Rollout is explained with the reason the rollout API gives
(`analysis inconclusive, no traffic to canary; send traffic or sluice rollout promote NAME`) when the
caller can ask it (the local stack), and with the step's condition otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sluicegate.client import LogLine

__all__ = ["RolloutReason", "failed_steps", "failure_report", "waiting_on"]

Doc = dict[str, Any]

#: `(namespace, name)` of a Rollout -> why it is not Healthy yet ("" when it is, None when nobody can say).
RolloutReason = Callable[[str, str], str | None]

_PARAM = re.compile(r"\{\{\s*inputs\.parameters\.([A-Za-z0-9_-]+)\s*\}\}")


def _templates(wf: Doc) -> dict[str, Doc]:
    status, spec = wf.get("status") or {}, wf.get("spec") or {}
    stored = (status.get("storedWorkflowTemplateSpec") or {}).get("templates") or []
    return {str(t.get("name")): t for t in [*stored, *(spec.get("templates") or [])] if isinstance(t, dict)}


def _leaves(nodes: dict[str, Doc], phases: Iterable[str]) -> list[Doc]:
    wanted = set(phases)
    return [
        n
        for n in nodes.values()
        if n.get("phase") in wanted and n.get("type") in ("Pod", "Suspend", "Container", "HTTP", "Plugin")
    ]


def _resource_target(template: Doc, node: Doc) -> tuple[str, str, str] | None:
    """`(kind, name, condition)` of a resource template, with the node's input parameters filled in."""
    res = template.get("resource") or {}
    if not res.get("manifest"):
        return None
    params = {p.get("name"): str(p.get("value", "")) for p in (node.get("inputs") or {}).get("parameters") or []}
    text = _PARAM.sub(lambda m: params.get(m.group(1), m.group(0)), str(res["manifest"]))
    import yaml  # only a resource step's manifest is YAML: `sluice --help` and most commands never read one

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(doc, dict):
        return None
    name = str((doc.get("metadata") or {}).get("name") or "")
    return str(doc.get("kind") or ""), name, str(res.get("successCondition") or "")


def waiting_on(wf: Doc, rollout_reason: RolloutReason | None = None) -> list[str]:
    """One line per step the running Workflow waits on; empty when it is not running.

    Args:
        wf: the Workflow as a dict (Argo's JSON).
        rollout_reason: asks why a Rollout is not Healthy yet (None: say what the step waits for).
    """
    status = wf.get("status") or {}
    if status.get("phase") not in ("Running", "Pending", None):
        return []
    templates, wf_name = _templates(wf), str((wf.get("metadata") or {}).get("name") or "")
    ns = str((wf.get("metadata") or {}).get("namespace") or "")
    lines = []
    for node in _leaves(status.get("nodes") or {}, ("Running", "Pending")):
        step = str(node.get("displayName") or node.get("name"))
        if node.get("type") == "Suspend":
            lines.append(f"waiting on step {step}: suspended; sluice resume {wf_name}")
            continue
        target = _resource_target(templates.get(str(node.get("templateName") or ""), {}), node)
        if target is None:
            if node.get("phase") == "Pending":
                lines.append(f"waiting on step {step}: {node.get('message') or 'pending'}")
            continue
        kind, name, condition = target
        reason = rollout_reason(ns, name) if rollout_reason and kind == "Rollout" else None
        if reason:
            lines.append(f"waiting on {kind} {name}: {reason}")
        else:
            lines.append(f"waiting on {kind} {name} (step {step}, until {condition or 'it is applied'})")
    return lines


def failed_steps(wf: Doc) -> list[Doc]:
    """The failed or errored leaf steps (not their DAGs), oldest first."""
    nodes = (wf.get("status") or {}).get("nodes") or {}
    return sorted(_leaves(nodes, ("Failed", "Error")), key=lambda n: str(n.get("startedAt") or ""))


def _pod_of(node: Doc, pod: str) -> bool:
    """Whether a log line's pod name is this node's pod (Argo's v2 name `<wf>-<template>-<hash>`, or the node ID)."""
    node_id = str(node.get("id") or "")
    return pod == node_id or pod.endswith("-" + node_id.rsplit("-", 1)[-1])


def failure_report(wf: Doc, logs: Iterable[LogLine], tail: int = 10) -> list[str]:
    """For each failed step: its message, then the last `tail` lines of its log."""
    failed = failed_steps(wf)
    by_step: dict[str, list[str]] = {str(n.get("id")): [] for n in failed}
    for line in logs:
        for node in failed:
            if _pod_of(node, line.pod):
                by_step[str(node.get("id"))].append(line.content)
    out = []
    for node in failed:
        step = str(node.get("displayName") or node.get("name"))
        out.append(f"step {step} {node.get('phase')}: {node.get('message') or '(no message)'}")
        lines = by_step[str(node.get("id"))][-tail:]
        if lines:
            out.append(f"  last {len(lines)} log lines of {step}:")
            out.extend(f"  | {text}" for text in lines)
    return out
