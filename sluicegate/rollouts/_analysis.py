"""AnalysisRuns: built from AnalysisTemplates + the Rollout's args, and run with Argo's semantics.

Called by the rollout controller: `build_run` makes the AnalysisRun document for an analysis step or the
background analysis; `AnalysisRunner.sync` starts a thread per AnalysisRun that is not finished (also after a
restart, continuing from the stored measurements). Each thread takes measurements at `interval` after
`initialDelay`, `count` times (one when there is no interval; until terminated when there is no count), writes
every measurement into `status.metricResults[]` and decides metric and run phases as Argo does: `failureLimit`,
`inconclusiveLimit`, `consecutiveErrorLimit` (default 4); a Failed or Error metric ends the run at once.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from typing import Any

from pydantic import ValidationError

from sluicegate.documents import (
    AnalysisArg,
    AnalysisRunDoc,
    AnalysisRunStatus,
    Measurement,
    Metric,
    MetricResult,
    RolloutAnalysis,
    RolloutDoc,
    parse_analysis_run,
)
from sluicegate.errors import ManifestError, SluiceError
from sluicegate.lang import MISSING, epoch, lookup, parse_duration, utc_now
from sluicegate.rollouts._providers import Providers, assess
from sluicegate.store import Store

__all__ = ["AnalysisRunner", "build_run"]

Doc = dict[str, Any]
_DONE = ("Successful", "Failed", "Error", "Inconclusive")
_RANK = {"Successful": 0, "Inconclusive": 1, "Error": 2, "Failed": 3}
_ARG = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")


def _substitute(node: Any, args: dict[str, str]) -> Any:
    if isinstance(node, str):
        return _ARG.sub(lambda m: args.get(m.group(1), m.group(0)), node)
    if isinstance(node, list):
        return [_substitute(x, args) for x in node]
    if isinstance(node, dict):
        return {k: _substitute(v, args) for k, v in node.items()}
    return node


def build_run(
    store: Store,
    rollout: RolloutDoc,
    analysis: RolloutAnalysis,
    name: str,
    labels: dict[str, str],
    hashes: dict[str, str],
) -> Doc:
    """The AnalysisRun document for `analysis` (`{templates, args}`) of `rollout`.

    Raises:
        ManifestError: a template is missing or an argument has no value.
    """
    ns, rollout_name = rollout.metadata.namespace, rollout.metadata.name
    metrics: list[Doc] = []
    declared: dict[str, Any] = {}
    for ref in analysis.templates or []:
        kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate"
        template = store.try_get(kind, "" if kind.startswith("Cluster") else ns, str(ref.get("templateName")))
        if template is None:
            raise ManifestError(
                f'{kind} "{ref.get("templateName")}" not found',
                where=f"Rollout {rollout_name}: analysis templates",
                fix="apply the AnalysisTemplate (sluice apply manifests/) or fix the name",
            )
        metrics += copy.deepcopy(template["spec"].get("metrics") or [])
        for arg in template["spec"].get("args") or []:
            declared.setdefault(arg["name"], arg.get("value"))
    for arg in analysis.args or []:
        declared[arg.name] = _arg_value(arg, rollout, hashes)
    missing = [k for k, v in declared.items() if v is None]
    if missing:
        raise ManifestError(
            f"argument {missing[0]!r} has no value",
            where=f"Rollout {rollout_name}: analysis args",
            fix=f"pass it in the Rollout's analysis args: {{name: {missing[0]}, value: ...}}",
        )
    args = {k: str(v) for k, v in declared.items()}
    resolved = [_coerce(_substitute(m, args)) for m in metrics]
    owner = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": rollout_name}
    owner["uid"] = rollout.metadata.uid or ""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [owner]},
        "spec": {"metrics": resolved, "args": [{"name": k, "value": v} for k, v in args.items()]},
        "status": {"phase": "Pending", "metricResults": []},
    }


def _arg_value(arg: AnalysisArg, rollout: RolloutDoc, hashes: dict[str, str]) -> Any:
    if arg.has("value"):
        return arg.value
    source = arg.value_from or {}
    if "podTemplateHashValue" in source:
        return hashes.get(str(source["podTemplateHashValue"]), "")
    path = (source.get("fieldRef") or {}).get("fieldPath", "")
    # Any field of the stored document, as Argo's fieldRef reads it: `metadata.labels['app']` is `labels[app]`.
    value = lookup(rollout.to_doc(), path.replace("'", ""))
    return None if value is MISSING else value


def _coerce(metric: Doc) -> Doc:
    for key in ("count", "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit"):
        if isinstance(metric.get(key), str) and metric[key].lstrip("-").isdigit():
            metric[key] = int(metric[key])
    return metric


class AnalysisRunner:
    """Runs every unfinished AnalysisRun of the store in its own thread.

    Args:
        store: the object store.
        providers: measurement providers.
    """

    def __init__(self, store: Store, providers: Providers) -> None:
        self.store = store
        self.providers = providers
        self._threads: dict[tuple[str, str], threading.Thread] = {}
        self._last: dict[tuple[str, str, str], float] = {}  # precise time of each metric's last measurement
        self._stop = threading.Event()

    def sync(self) -> None:
        """Start a thread for each AnalysisRun that is Pending or Running and has none."""
        for run in self.store.list("AnalysisRun"):
            key = (run["metadata"]["namespace"], run["metadata"]["name"])
            phase = _phase(run)
            thread = self._threads.get(key)
            if phase in ("Pending", "Running") and (thread is None or not thread.is_alive()):
                thread = threading.Thread(target=self._run, args=key, name=f"analysis-{key[1]}", daemon=True)
                self._threads[key] = thread
                thread.start()

    def stop(self) -> None:
        """Stop all runs (their stored state lets a later runner continue them)."""
        self._stop.set()
        for thread in self._threads.values():
            thread.join(5)

    def _run(self, ns: str, name: str) -> None:
        try:
            while not self._stop.is_set():
                doc = self.store.try_get("AnalysisRun", ns, name)
                run = parse_analysis_run(doc) if doc is not None else None
                if run is None or run.status.phase in _DONE:
                    return
                wait = self._tick(run)
                if wait is None:
                    return
                self._stop.wait(wait)
        except SluiceError as e:
            self._finish(ns, name, "Error", e.message)
        except Exception as e:  # a malformed metric must end its run, not leave it Running forever
            self._finish(ns, name, "Error", f"{type(e).__name__}: {e}")

    def _tick(self, run: AnalysisRunDoc) -> float | None:
        """Take every due measurement; returns seconds until the next one (None when the run is finished)."""
        ns, name = run.metadata.namespace, run.metadata.name
        spec, status = run.spec, run.status
        started = status.started_at or utc_now()
        args = {a.name: a.value for a in spec.args or []}
        results = {r.name: r for r in status.metric_results or []}
        terminating = bool(spec.terminate)
        next_due = 3600.0
        for metric in spec.metrics:
            result = results.setdefault(metric.name, _new_result(metric.name))
            if result.phase in _DONE:
                continue
            key = (ns, name, metric.name)
            due = _due(metric, result, started, self._last.get(key))
            if not terminating and due <= time.time():
                self._measure(metric, result, args)
                self._last[key] = time.time()
                due = _due(metric, result, started, self._last[key])
            result.phase = _metric_phase(metric, result, terminating)
            if result.phase not in _DONE:
                next_due = min(next_due, max(0.0, due - time.time()))
        phase, message = _run_phase(spec.metrics, results, terminating)

        def write(doc: Doc) -> Doc:
            st = doc.setdefault("status", {})
            st.update(startedAt=started, metricResults=[r.to_doc() for r in results.values()], phase=phase)
            if message:
                st["message"] = message
            if phase in _DONE:
                st["completedAt"] = utc_now()
                st["runSummary"] = _summary(results)
            return doc

        self.store.mutate("AnalysisRun", ns, name, write)
        return None if phase in _DONE else min(next_due, 1.0)

    def _measure(self, metric: Metric, result: MetricResult, args: dict[str, Any]) -> None:
        measurement = Measurement(started_at=utc_now())
        try:
            value, shown = self.providers.measure(metric.provider, self._stop)
            if "job" in metric.provider:
                phase = "Successful" if value is True else "Failed"
            else:
                phase = assess(metric.to_doc(), value, args)
            measurement.phase, measurement.value = phase, shown
            result.consecutive_error = 0
            key = {"Successful": "successful", "Failed": "failed", "Inconclusive": "inconclusive"}[phase]
            setattr(result, key, (getattr(result, key) or 0) + 1)
        except SluiceError as e:
            measurement.phase, measurement.message = "Error", e.message
            result.error = (result.error or 0) + 1
            result.consecutive_error = (result.consecutive_error or 0) + 1
            result.message = e.message
        result.count = (result.count or 0) + 1  # errors count too, as in Argo
        measurement.finished_at = utc_now()
        result.measurements = [*(result.measurements or [])[-9:], measurement]

    def _finish(self, ns: str, name: str, phase: str, message: str) -> None:
        def write(doc: Doc) -> Doc:
            doc.setdefault("status", {}).update(phase=phase, message=message, completedAt=utc_now())
            return doc

        self.store.mutate("AnalysisRun", ns, name, write)


def _phase(run: Doc) -> str | None:
    """A stored AnalysisRun's `status.phase`, "Pending" when it has none; read through the status model alone.

    A run whose spec is malformed still gets its thread, which parses it and ends it as Error naming the field
    (parsing the whole run here would fail the whole sync, every tick). A status the model rejects gives its
    phase as stored, so its thread ends such a run once (read as unfinished, every tick; as finished, never).
    """
    stored = run.get("status") or {}
    try:
        status = AnalysisRunStatus.model_validate(stored)
    except ValidationError:
        as_stored: str | None = stored.get("phase", "Pending")
        return as_stored
    return status.phase if status.has("phase") else "Pending"


def _new_result(name: str) -> MetricResult:
    return MetricResult(name=name, phase="Running", measurements=[], count=0, successful=0, failed=0)


def _due(metric: Metric, result: MetricResult, started: str, last: float | None) -> float:
    measurements = result.measurements or []
    if not measurements:
        delay = metric.initial_delay if metric.has("initial_delay") else 0
        return epoch(started) + parse_duration(delay, bare="s", where="metric.initialDelay")
    interval = parse_duration(metric.interval if metric.has("interval") else 0, bare="s", where="metric.interval")
    return (last if last is not None else epoch(str(measurements[-1].finished_at))) + interval


def _limit(metric: Metric, field: str, default: int) -> int:
    """A metric's limit as a number (Argo's int-or-string), `default` when it is not given."""
    return int(getattr(metric, field)) if metric.has(field) else default


def _metric_phase(metric: Metric, result: MetricResult, terminating: bool) -> str:
    """Argo's assessMetricStatus."""
    if not result.measurements:
        return "Successful" if terminating else "Running"
    failure_limit = _limit(metric, "failure_limit", 0)
    inconclusive_limit = _limit(metric, "inconclusive_limit", 0)
    error_limit = _limit(metric, "consecutive_error_limit", 4)
    if failure_limit >= 0 and (result.failed or 0) > failure_limit:
        return "Failed"
    if inconclusive_limit >= 0 and (result.inconclusive or 0) > inconclusive_limit:
        return "Inconclusive"
    if (result.consecutive_error or 0) > error_limit:
        return "Error"
    count = metric.count
    effective = int(count) if count is not None else (None if metric.interval else 1)
    if effective is not None and (result.count or 0) >= effective:
        return "Successful"
    return "Successful" if terminating else "Running"


def _run_phase(metrics: list[Metric], results: dict[str, MetricResult], terminating: bool) -> tuple[str, str]:
    phases = [results[m.name].phase for m in metrics]
    worst = max((p for p in phases if p in _DONE), key=lambda p: _RANK[p], default="Successful")
    if worst in ("Failed", "Error"):
        bad = next(m.name for m in metrics if results[m.name].phase == worst)
        return worst, f'Metric "{bad}" assessed {worst} due to {_reason(results[bad], worst)}'
    if all(p in _DONE for p in phases):
        return worst, "" if worst == "Successful" else "Metric assessed Inconclusive"
    return "Running", ""


def _reason(result: MetricResult, phase: str) -> str:
    if phase == "Error":
        return f"consecutiveErrors ({result.consecutive_error or 0}): {result.message or ''}"
    return f"failed ({result.failed or 0}) > failureLimit"


def _summary(results: dict[str, MetricResult]) -> Doc:
    phases = [r.phase for r in results.values()]
    return {
        "count": len(phases),
        "successful": phases.count("Successful"),
        "failed": phases.count("Failed"),
        "inconclusive": phases.count("Inconclusive"),
        "error": phases.count("Error"),
    }
