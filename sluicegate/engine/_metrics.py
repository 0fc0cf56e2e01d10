"""Argo's custom metrics: `metrics.prometheus` of workflows and templates, served for the stack's Prometheus.

Called by `_operate` (which collects an `Emission` when a node or the workflow completes, and realtime gauges
when it starts) and by `_controller`, which applies the emissions to its `MetricsRegistry` after the reconcile
is committed and serves `render()` at `GET /api/v1/sluice/metrics` (the stack's Prometheus scrapes it with the
stack's token). As Argo: names get the `argo_workflows_` prefix, `help` is required, labels and `when` are
templated with the node's scope (`status`, `duration`, `exitCode`, `inputs.parameters.*`,
`outputs.parameters.*`, `outputs.result`, `retries`, and the workflow's globals), a gauge is set, a counter
adds its value, a histogram observes it in its buckets, and a realtime gauge follows `{{duration}}` /
`{{workflow.duration}}` live. A metric that cannot be emitted adds a `MetricsError` condition to the workflow.
"""

from __future__ import annotations

import copy
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sluicegate.engine._template import substitute, substitute_str
from sluicegate.lang import ExprError, epoch, evaluate_when

__all__ = ["Emission", "MetricsRegistry", "node_scope_for_metrics"]

PREFIX = "argo_workflows_"
_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
Doc = dict[str, Any]
Labels = tuple[tuple[str, str], ...]


def node_scope_for_metrics(node: Doc, globals_: Doc) -> tuple[Doc, Callable[[], float]]:
    """Argo's prepareMetricScope: the scope of a node's metrics and its live duration."""
    started = epoch(node.get("startedAt"))
    finished = node.get("finishedAt")

    def duration() -> float:
        return (epoch(finished) if finished else time.time()) - started

    scope: Doc = {**globals_, "duration": f"{duration():f}"}
    if node.get("children"):
        scope["retries"] = str(len(node["children"]) - 1)
    if node.get("phase"):
        scope["status"] = node["phase"]
    for param in (node.get("inputs") or {}).get("parameters") or []:
        scope[f"inputs.parameters.{param['name']}"] = str(param.get("value", ""))
    outputs = node.get("outputs") or {}
    if "result" in outputs:
        scope["outputs.result"] = outputs["result"]
    if "exitCode" in outputs:
        scope["exitCode"] = str(outputs["exitCode"])
    for param in outputs.get("parameters") or []:
        scope[f"outputs.parameters.{param['name']}"] = str(param.get("value", ""))
    return scope, duration


@dataclass
class Emission:
    """Metrics to emit with their scope (`realtime_only`: only the realtime gauges, as a node starts)."""

    metrics: list[Doc]
    scope: Doc
    duration: Callable[[], float]
    realtime_only: bool = False
    realtime_keys: tuple[str, ...] = ("duration",)


@dataclass
class _Series:
    value: float = 0.0
    live: Callable[[], float] | None = None
    buckets: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    total: int = 0
    sum: float = 0.0


@dataclass
class _Metric:
    kind: str  # gauge, counter, histogram
    help: str
    series: dict[Labels, _Series] = field(default_factory=dict)


class MetricsRegistry:
    """Every custom metric the workflows emitted, by name and labels."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._metrics: dict[str, _Metric] = {}

    def emit(self, emission: Emission) -> list[str]:
        """Apply one emission; returns the errors (each becomes a MetricsError condition)."""
        errors: list[str] = []
        for raw in emission.metrics:
            realtime = bool((raw.get("gauge") or {}).get("realtime"))
            if emission.realtime_only and not realtime:
                continue
            error = self._one(raw, emission, realtime)
            if error:
                errors.append(error)
        return errors

    def _one(self, raw: Doc, emission: Emission, realtime: bool) -> str | None:
        name = str(raw.get("name", ""))
        if not raw.get("help"):
            return f"metric '{name}' must contain a help string under 'help: ' field"
        spec = copy.deepcopy({k: v for k, v in raw.items() if k not in ("gauge", "counter", "histogram")})
        try:
            spec = substitute(spec, emission.scope)
            when = substitute_str(str(spec.get("when") or ""), emission.scope)
            if when and not evaluate_when(when):
                return None
        except ExprError as e:
            return f"unable to compute 'when' clause for metric '{name}': {e}"
        name = str(spec.get("name", ""))
        if not _NAME.match(name):
            return f"metric name '{name}' is invalid: names may only contain alphanumeric characters or '_'"
        labels: Labels = tuple(sorted((str(lb.get("key")), str(lb.get("value"))) for lb in spec.get("labels") or []))
        if any(not _NAME.match(key) for key, _ in labels):
            return (
                f"metric '{name}' has an invalid label key: label keys may only contain alphanumeric characters or '_'"
            )
        kind = next((k for k in ("gauge", "counter", "histogram") if raw.get(k) is not None), "")
        if not kind:
            return f"metric '{name}' must be a gauge, a counter or a histogram"
        body = raw[kind]
        live: Callable[[], float] | None = None
        value = 0.0
        if realtime:
            text = str(body.get("value", "")).strip()
            key = text[2:-2].strip() if text.startswith("{{") and text.endswith("}}") else ""
            if not key:
                return "real time metrics can only be used with metric variables"
            if key not in emission.realtime_keys:
                return f"'{key}' is not available as a real time metric"
            live = emission.duration
        else:
            text = substitute_str(str(body.get("value", "")), emission.scope)
            try:
                value = float(text)
            except ValueError:
                return f"metric '{name}' has an invalid value: {text!r} is not a number"
        with self._lock:
            metric = self._metrics.setdefault(name, _Metric(kind, str(spec.get("help"))))
            if metric.kind != kind:
                return f"metric '{name}' was already defined as a {metric.kind}, not a {kind}"
            series = metric.series.setdefault(labels, _Series())
            if kind == "gauge":
                series.value, series.live = value, live
            elif kind == "counter":
                series.value += value
            else:
                if not series.buckets:
                    series.buckets = sorted(float(b) for b in body.get("buckets") or [])
                    series.counts = [0] * len(series.buckets)
                for i, bound in enumerate(series.buckets):
                    if value <= bound:
                        series.counts[i] += 1
                series.total += 1
                series.sum += value
        return None

    def render(self) -> str:
        """The Prometheus text exposition of every metric."""
        out: list[str] = []
        with self._lock:
            for name, metric in sorted(self._metrics.items()):
                full = PREFIX + name
                out.append(f"# HELP {full} {metric.help}")
                out.append(f"# TYPE {full} {metric.kind}")
                for labels, series in sorted(metric.series.items()):
                    if metric.kind == "histogram":
                        for bound, count in zip(series.buckets, series.counts, strict=True):
                            out.append(f"{full}_bucket{_labels(labels, ('le', _num(bound)))} {count}")
                        out.append(f"{full}_bucket{_labels(labels, ('le', '+Inf'))} {series.total}")
                        out.append(f"{full}_sum{_labels(labels)} {_num(series.sum)}")
                        out.append(f"{full}_count{_labels(labels)} {series.total}")
                    else:
                        value = series.live() if series.live is not None else series.value
                        out.append(f"{full}{_labels(labels)} {_num(value)}")
        return "\n".join(out) + "\n"


def _num(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _labels(labels: Labels, *extra: tuple[str, str]) -> str:
    items = [*labels, *extra]
    if not items:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in items)
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
