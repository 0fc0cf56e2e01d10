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
from datetime import UTC, datetime
from typing import Any

from sluicegate.errors import ManifestError, SluiceError
from sluicegate.lang import parse_duration
from sluicegate.rollouts._providers import Providers, assess
from sluicegate.store import Store
from sluicegate.store._objects import utc_now

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
    store: Store, rollout: Doc, analysis: Doc, name: str, labels: dict[str, str], hashes: dict[str, str]
) -> Doc:
    """The AnalysisRun document for `analysis` (`{templates, args}`) of `rollout`.

    Raises:
        ManifestError: a template is missing or an argument has no value.
    """
    ns = rollout["metadata"]["namespace"]
    metrics: list[Doc] = []
    declared: dict[str, Any] = {}
    for ref in analysis.get("templates") or []:
        kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate"
        template = store.try_get(kind, "" if kind.startswith("Cluster") else ns, str(ref.get("templateName")))
        if template is None:
            raise ManifestError(
                f'{kind} "{ref.get("templateName")}" not found',
                where=f"Rollout {rollout['metadata']['name']}: analysis templates",
                fix="apply the AnalysisTemplate (sluice apply manifests/) or fix the name",
            )
        metrics += copy.deepcopy(template["spec"].get("metrics") or [])
        for arg in template["spec"].get("args") or []:
            declared.setdefault(arg["name"], arg.get("value"))
    for arg in analysis.get("args") or []:
        declared[arg["name"]] = _arg_value(arg, rollout, hashes)
    missing = [k for k, v in declared.items() if v is None]
    if missing:
        raise ManifestError(
            f"argument {missing[0]!r} has no value",
            where=f"Rollout {rollout['metadata']['name']}: analysis args",
            fix=f"pass it in the Rollout's analysis args: {{name: {missing[0]}, value: ...}}",
        )
    args = {k: str(v) for k, v in declared.items()}
    resolved = [_coerce(_substitute(m, args)) for m in metrics]
    owner = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": rollout["metadata"]["name"]}
    owner["uid"] = rollout["metadata"].get("uid", "")
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [owner]},
        "spec": {"metrics": resolved, "args": [{"name": k, "value": v} for k, v in args.items()]},
        "status": {"phase": "Pending", "metricResults": []},
    }


def _arg_value(arg: Doc, rollout: Doc, hashes: dict[str, str]) -> Any:
    if "value" in arg:
        return arg["value"]
    source = arg.get("valueFrom") or {}
    if "podTemplateHashValue" in source:
        return hashes.get(str(source["podTemplateHashValue"]), "")
    path = (source.get("fieldRef") or {}).get("fieldPath", "")
    node: Any = rollout
    for part in re.findall(r"[^.\[\]']+", path):
        node = node.get(part) if isinstance(node, dict) else None
    return node


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
            phase = (run.get("status") or {}).get("phase", "Pending")
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
                run = self.store.try_get("AnalysisRun", ns, name)
                if run is None or (run.get("status") or {}).get("phase") in _DONE:
                    return
                wait = self._tick(run)
                if wait is None:
                    return
                self._stop.wait(wait)
        except SluiceError as e:
            self._finish(ns, name, "Error", e.message)
        except Exception as e:  # a malformed metric must end its run, not leave it Running forever
            self._finish(ns, name, "Error", f"{type(e).__name__}: {e}")

    def _tick(self, run: Doc) -> float | None:
        """Take every due measurement; returns seconds until the next one (None when the run is finished)."""
        ns, name = run["metadata"]["namespace"], run["metadata"]["name"]
        spec, status = run["spec"], run.get("status") or {}
        started = status.get("startedAt") or utc_now()
        args = {a["name"]: a.get("value") for a in spec.get("args") or []}
        results = {r["name"]: r for r in status.get("metricResults") or []}
        terminating = bool(spec.get("terminate"))
        next_due = 3600.0
        for metric in spec["metrics"]:
            result = results.setdefault(metric["name"], _new_result(metric["name"]))
            if result["phase"] in _DONE:
                continue
            key = (ns, name, metric["name"])
            due = _due(metric, result, started, self._last.get(key))
            if not terminating and due <= time.time():
                self._measure(metric, result, args)
                self._last[key] = time.time()
                due = _due(metric, result, started, self._last[key])
            result["phase"] = _metric_phase(metric, result, terminating)
            if result["phase"] not in _DONE:
                next_due = min(next_due, max(0.0, due - time.time()))
        phase, message = _run_phase(spec["metrics"], results, terminating)

        def write(doc: Doc) -> Doc:
            st = doc.setdefault("status", {})
            st.update(startedAt=started, metricResults=list(results.values()), phase=phase)
            if message:
                st["message"] = message
            if phase in _DONE:
                st["completedAt"] = utc_now()
                st["runSummary"] = _summary(results)
            return doc

        self.store.mutate("AnalysisRun", ns, name, write)
        return None if phase in _DONE else min(next_due, 1.0)

    def _measure(self, metric: Doc, result: Doc, args: dict[str, Any]) -> None:
        began = utc_now()
        measurement: Doc = {"startedAt": began}
        try:
            value, shown = self.providers.measure(metric["provider"], self._stop)
            if "job" in metric["provider"]:
                phase = "Successful" if value is True else "Failed"
            else:
                phase = assess(metric, value, args)
            measurement.update(phase=phase, value=shown)
            result["consecutiveError"] = 0
            key = {"Successful": "successful", "Failed": "failed", "Inconclusive": "inconclusive"}[phase]
            result[key] = result.get(key, 0) + 1
        except SluiceError as e:
            measurement.update(phase="Error", message=e.message)
            result["error"] = result.get("error", 0) + 1
            result["consecutiveError"] = result.get("consecutiveError", 0) + 1
            result["message"] = e.message
        result["count"] = result.get("count", 0) + 1  # errors count too, as in Argo
        measurement["finishedAt"] = utc_now()
        result["measurements"] = [*result.get("measurements", [])[-9:], measurement]

    def _finish(self, ns: str, name: str, phase: str, message: str) -> None:
        def write(doc: Doc) -> Doc:
            doc.setdefault("status", {}).update(phase=phase, message=message, completedAt=utc_now())
            return doc

        self.store.mutate("AnalysisRun", ns, name, write)


def _new_result(name: str) -> Doc:
    return {"name": name, "phase": "Running", "measurements": [], "count": 0, "successful": 0, "failed": 0}


def _epoch(ts: str) -> float:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _due(metric: Doc, result: Doc, started: str, last: float | None) -> float:
    measurements = result.get("measurements") or []
    if not measurements:
        return _epoch(started) + parse_duration(metric.get("initialDelay", 0), bare="s", where="metric.initialDelay")
    interval = parse_duration(metric.get("interval", 0), bare="s", where="metric.interval")
    return (last if last is not None else _epoch(measurements[-1]["finishedAt"])) + interval


def _metric_phase(metric: Doc, result: Doc, terminating: bool) -> str:
    """Argo's assessMetricStatus."""
    if not result.get("measurements"):
        return "Successful" if terminating else "Running"
    failure_limit = int(metric.get("failureLimit", 0))
    inconclusive_limit = int(metric.get("inconclusiveLimit", 0))
    error_limit = int(metric.get("consecutiveErrorLimit", 4))
    if failure_limit >= 0 and result.get("failed", 0) > failure_limit:
        return "Failed"
    if inconclusive_limit >= 0 and result.get("inconclusive", 0) > inconclusive_limit:
        return "Inconclusive"
    if result.get("consecutiveError", 0) > error_limit:
        return "Error"
    count = metric.get("count")
    effective = int(count) if count is not None else (None if metric.get("interval") else 1)
    if effective is not None and result.get("count", 0) >= effective:
        return "Successful"
    return "Successful" if terminating else "Running"


def _run_phase(metrics: list[Doc], results: dict[str, Doc], terminating: bool) -> tuple[str, str]:
    phases = [results[m["name"]]["phase"] for m in metrics]
    worst = max((p for p in phases if p in _DONE), key=lambda p: _RANK[p], default="Successful")
    if worst in ("Failed", "Error"):
        bad = next(m["name"] for m in metrics if results[m["name"]]["phase"] == worst)
        return worst, f'Metric "{bad}" assessed {worst} due to {_reason(results[bad], worst)}'
    if all(p in _DONE for p in phases):
        return worst, "" if worst == "Successful" else "Metric assessed Inconclusive"
    return "Running", ""


def _reason(result: Doc, phase: str) -> str:
    if phase == "Error":
        return f"consecutiveErrors ({result.get('consecutiveError', 0)}): {result.get('message', '')}"
    return f"failed ({result.get('failed', 0)}) > failureLimit"


def _summary(results: dict[str, Doc]) -> Doc:
    phases = [r["phase"] for r in results.values()]
    return {
        "count": len(phases),
        "successful": phases.count("Successful"),
        "failed": phases.count("Failed"),
        "inconclusive": phases.count("Inconclusive"),
        "error": phases.count("Error"),
    }
