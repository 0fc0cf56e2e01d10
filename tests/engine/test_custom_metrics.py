"""Workflow and template `metrics.prometheus`: emitted as Argo emits them, rendered for Prometheus."""

from __future__ import annotations

import time
from typing import Any

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import sh, workflow


def _metric(name: str, kind: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "help": f"{name} help", kind: {"value": value, **extra.pop("body", {})}, **extra}


def _lines(engine: LocalEngine, prefix: str, settle: float = 5.0) -> list[str]:
    """The metric lines starting with `prefix`, once they stop changing.

    The controller records a step's metrics right after the reconcile that commits its phase, so a waiter
    woken by that commit can read the registry a moment before the last emission.
    """
    deadline = time.monotonic() + settle
    lines, same = None, 0
    while True:
        now = [line for line in engine.controller.metrics.render().splitlines() if line.startswith(prefix)]
        same = same + 1 if now == lines else 0
        if same >= 3 or time.monotonic() > deadline:  # unchanged for 0.6 s
            return now
        lines = now
        time.sleep(0.2)


def test_template_metrics_follow_status_when_and_outputs(engine: LocalEngine) -> None:
    score = sh("score", "echo 7 > /tmp/score")
    score["outputs"] = {"parameters": [{"name": "score", "valueFrom": {"path": "/tmp/score"}}]}
    score["metrics"] = {
        "prometheus": [
            _metric("tm_runs", "counter", "1", labels=[{"key": "status", "value": "{{status}}"}]),
            _metric("tm_score", "histogram", "{{outputs.parameters.score}}", body={"buckets": [5, 10]}),
            _metric("tm_only_failed", "counter", "1", when="{{status}} == Failed"),
        ]
    }
    main = {"name": "main", "steps": [[{"name": "a", "template": "score"}], [{"name": "b", "template": "score"}]]}
    done = engine.wait(engine.submit(workflow("main", main, score)))
    assert done["status"]["phase"] == "Succeeded"
    assert _lines(engine, "argo_workflows_tm_runs{") == ['argo_workflows_tm_runs{status="Succeeded"} 2.0']
    assert _lines(engine, "argo_workflows_tm_score_") == [
        'argo_workflows_tm_score_bucket{le="5.0"} 0',
        'argo_workflows_tm_score_bucket{le="10.0"} 2',
        'argo_workflows_tm_score_bucket{le="+Inf"} 2',
        "argo_workflows_tm_score_sum 14.0",
        "argo_workflows_tm_score_count 2",
    ]
    assert _lines(engine, "argo_workflows_tm_only_failed") == []
    assert "# TYPE argo_workflows_tm_runs counter" in engine.controller.metrics.render()


def test_workflow_metrics_at_completion_and_a_realtime_duration(engine: LocalEngine) -> None:
    metrics = {
        "prometheus": [
            _metric("wm_finished", "gauge", "1", labels=[{"key": "phase", "value": "{{workflow.status}}"}]),
            {"name": "wm_duration", "help": "live", "gauge": {"realtime": True, "value": "{{workflow.duration}}"}},
        ]
    }
    done = engine.wait(engine.submit(workflow("main", sh("main", "exit 2"), metrics=metrics)))
    assert done["status"]["phase"] == "Failed"
    assert _lines(engine, "argo_workflows_wm_finished") == ['argo_workflows_wm_finished{phase="Failed"} 1.0']
    (duration,) = _lines(engine, "argo_workflows_wm_duration")
    assert 0.0 <= float(duration.split()[-1]) < 600


def test_a_metric_that_cannot_be_emitted_is_a_metrics_error_condition(engine: LocalEngine) -> None:
    bad = sh("main", "true")
    bad["metrics"] = {
        "prometheus": [
            {"name": "no_help", "counter": {"value": "1"}},
            _metric("bad-name", "counter", "1"),
            {"name": "rt_bad", "help": "x", "gauge": {"realtime": True, "value": "{{status}}"}},
        ]
    }
    doc = engine.submit(workflow("main", bad))
    done = engine.until(doc, lambda d: len((d.get("status") or {}).get("conditions") or []) >= 3)
    messages = [c["message"] for c in done["status"]["conditions"] if c["type"] == "MetricsError"]
    assert "metric 'no_help' must contain a help string under 'help: ' field" in messages
    assert any("bad-name" in m and "invalid" in m for m in messages)
    assert "'status' is not available as a real time metric" in messages
    assert engine.wait(doc)["status"]["phase"] == "Succeeded"  # a metric never fails the workflow


def _gauge(engine: LocalEngine, name: str) -> float | None:
    """The value of the unlabelled gauge `name` as the registry renders it now (None before it exists)."""
    lines = [line for line in engine.controller.metrics.render().splitlines() if line.startswith(f"{name} ")]
    return float(lines[0].split()[-1]) if lines else None


def test_a_realtime_gauge_moves_while_the_workflow_runs_and_stops_when_it_ends(engine: LocalEngine) -> None:
    live = {"name": "rt_live", "help": "live", "gauge": {"realtime": True, "value": "{{workflow.duration}}"}}
    main = {"name": "main", "steps": [[{"name": "wait", "template": "wait"}]]}
    gated = sh("wait", "while [ ! -e /tmp/gate ]; do sleep 0.05; done")
    doc = engine.submit(workflow("main", main, gated, metrics={"prometheus": [live]}))

    def waiting(d: dict[str, Any]) -> bool:
        nodes = {n["displayName"]: n for n in ((d.get("status") or {}).get("nodes") or {}).values()}
        return nodes.get("wait", {}).get("phase") == "Running"

    running = engine.until(doc, waiting)
    name = "argo_workflows_rt_live"
    deadline = time.monotonic() + 30
    while _gauge(engine, name) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first = _gauge(engine, name)
    assert first is not None
    while (_gauge(engine, name) or 0.0) <= first and time.monotonic() < deadline:
        time.sleep(0.05)
    second = _gauge(engine, name)
    assert second is not None and second > first  # read twice while the step still runs: it moved
    assert engine.store.get("Workflow", "argo", doc["metadata"]["name"])["status"]["phase"] == "Running"
    node = next(n for n in running["status"]["nodes"].values() if n["displayName"] == "wait")
    (engine.home / "run" / "argo" / doc["metadata"]["name"] / node["id"] / "tmp" / "gate").touch()
    assert engine.wait(doc)["status"]["phase"] == "Succeeded"
    settled = False
    while not settled and time.monotonic() < deadline + 30:
        before = _gauge(engine, name)
        time.sleep(0.1)
        settled = before == _gauge(engine, name)
    assert settled  # once the workflow ended, the gauge holds its final duration
