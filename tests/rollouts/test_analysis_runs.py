"""AnalysisRuns run as Argo runs them: web and job providers, limits, count/interval, terminate, errors."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sluicegate.documents import RolloutAnalysis, parse_rollout
from sluicegate.rollouts import AnalysisRunner, Providers, assess, build_run
from sluicegate.store import Store

NS = "sluicegate"


@pytest.fixture
def web() -> Iterator[tuple[str, list[Any]]]:
    """A web endpoint answering the queued JSON values in turn (the last one forever)."""
    answers: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            value = answers.pop(0) if len(answers) > 1 else answers[0]
            code, body = (500, b"boom") if value == "500" else (200, json.dumps({"data": value}).encode())
            self.send_response(code)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()


def _run(tmp_path: Path, metrics: list[dict[str, Any]], timeout: float = 30) -> dict[str, Any]:
    store = Store(tmp_path / "store.db")
    store.create(
        {"kind": "AnalysisRun", "metadata": {"name": "r", "namespace": NS}, "spec": {"metrics": metrics, "args": []}}
    )
    runner = AnalysisRunner(store, Providers(None, lambda u: u, tmp_path))
    runner.sync()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            run = store.get("AnalysisRun", NS, "r")
            if run.get("status", {}).get("phase") in ("Successful", "Failed", "Error", "Inconclusive"):
                return run
            time.sleep(0.1)
        raise AssertionError(store.get("AnalysisRun", NS, "r"))
    finally:
        runner.stop()


def _web(url: str, **kw: Any) -> dict[str, Any]:
    return {"name": "m", "provider": {"web": {"url": url, "jsonPath": "{$.data}"}}, **kw}


def test_analysis_web_successful_after_count(tmp_path: Path, web: tuple[str, list[Any]]) -> None:
    url, answers = web
    answers += [0.99]
    run = _run(tmp_path, [_web(url, interval="0.2s", count=3, successCondition="result >= 0.95")])
    result = run["status"]["metricResults"][0]
    assert run["status"]["phase"] == "Successful"
    assert result["count"] == 3 and result["successful"] == 3
    assert [m["value"] for m in result["measurements"]] == ["0.99"] * 3


def test_analysis_failure_limit_tolerates_then_fails(tmp_path: Path, web: tuple[str, list[Any]]) -> None:
    url, answers = web
    answers += [0.5, 0.99, 0.5]
    metric = _web(url, interval="0.2s", count=5, successCondition="result >= 0.95", failureLimit=1)
    run = _run(tmp_path, [metric])
    result = run["status"]["metricResults"][0]
    assert run["status"]["phase"] == "Failed"
    assert result["failed"] == 2 and result["count"] == 3  # stopped at the second failure, before count
    assert 'Metric "m" assessed Failed' in run["status"]["message"]


def test_analysis_inconclusive_when_neither_condition_holds(tmp_path: Path, web: tuple[str, list[Any]]) -> None:
    url, answers = web
    answers += [0.9]
    metric = _web(url, successCondition="result > 0.95", failureCondition="result < 0.5")
    assert _run(tmp_path, [metric])["status"]["phase"] == "Inconclusive"


def test_analysis_consecutive_errors_end_in_error(tmp_path: Path, web: tuple[str, list[Any]]) -> None:
    url, answers = web
    answers += ["500"]
    run = _run(tmp_path, [_web(url, interval="0.1s", count=10, successCondition="true", consecutiveErrorLimit=2)])
    result = run["status"]["metricResults"][0]
    assert run["status"]["phase"] == "Error"
    assert result["consecutiveError"] == 3
    assert "non 2xx" in result["measurements"][-1]["message"]


def test_analysis_job_provider_exit_code_decides(tmp_path: Path) -> None:
    def job(code: int) -> dict[str, Any]:
        container = {"name": "t", "image": "python:3.12", "command": ["python", "-c", f"raise SystemExit({code})"]}
        return {"spec": {"template": {"spec": {"containers": [container], "restartPolicy": "Never"}}}}

    ok = _run(tmp_path / "a", [{"name": "ok", "provider": {"job": job(0)}}])
    bad = _run(tmp_path / "b", [{"name": "bad", "provider": {"job": job(3)}}])
    assert ok["status"]["phase"] == "Successful"
    assert bad["status"]["phase"] == "Failed"
    assert bad["status"]["metricResults"][0]["measurements"][0]["value"].startswith("exit code 3")


def test_analysis_terminate_ends_unbounded_metric_successful(tmp_path: Path, web: tuple[str, list[Any]]) -> None:
    url, answers = web
    answers += [1]
    store = Store(tmp_path / "store.db")
    metric = _web(url, interval="0.2s", successCondition="result == 1")  # no count: runs until terminated
    store.create({"kind": "AnalysisRun", "metadata": {"name": "bg", "namespace": NS}, "spec": {"metrics": [metric]}})
    runner = AnalysisRunner(store, Providers(None, lambda u: u, tmp_path))
    runner.sync()
    try:
        deadline = time.monotonic() + 60

        def measured() -> bool:  # running, with a measurement taken (a count of them, not a time window)
            status = store.get("AnalysisRun", NS, "bg").get("status") or {}
            return status.get("phase") == "Running" and bool(status.get("metricResults"))

        while not measured():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        store.mutate("AnalysisRun", NS, "bg", lambda d: {**d, "spec": {**d["spec"], "terminate": True}})
        while store.get("AnalysisRun", NS, "bg")["status"]["phase"] == "Running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert store.get("AnalysisRun", NS, "bg")["status"]["phase"] == "Successful"
    finally:
        runner.stop()


def test_build_run_merges_templates_and_resolves_args(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    metric = {"name": "q", "count": "{{args.count}}", "provider": {"web": {"url": "http://{{args.svc}}/x"}}}
    store.create(
        {
            "kind": "AnalysisTemplate",
            "metadata": {"name": "t", "namespace": NS},
            "spec": {"args": [{"name": "svc"}, {"name": "count", "value": "2"}], "metrics": [metric]},
        }
    )
    rollout = parse_rollout({"metadata": {"name": "ro", "namespace": NS, "uid": "u"}})
    analysis = RolloutAnalysis(templates=[{"templateName": "t"}], args=[{"name": "svc", "value": "ro-canary"}])
    run = build_run(store, rollout, analysis, "ro-1", {"rollout": "ro"}, {})
    assert run["spec"]["metrics"][0]["count"] == 2
    assert run["spec"]["metrics"][0]["provider"]["web"]["url"] == "http://ro-canary/x"
    with pytest.raises(Exception, match="svc"):
        build_run(store, rollout, RolloutAnalysis(templates=[{"templateName": "t"}]), "ro-2", {}, {})
    with pytest.raises(Exception, match="not found"):
        build_run(store, rollout, RolloutAnalysis(templates=[{"templateName": "nope"}]), "ro-3", {}, {})


def test_build_run_reads_field_ref_args_from_the_rollout(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    metric = {"name": "q", "provider": {"web": {"url": "http://x/{{args.app}}/{{args.team}}/{{args.name}}"}}}
    store.create(
        {"kind": "AnalysisTemplate", "metadata": {"name": "t", "namespace": NS}, "spec": {"metrics": [metric]}}
    )
    meta = {"name": "ro", "namespace": NS, "labels": {"app": "shop"}, "annotations": {"team": "a"}}
    rollout = parse_rollout({"metadata": meta})

    def arg(name: str, path: str) -> dict[str, Any]:
        return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}

    paths = {"app": "metadata.labels['app']", "team": "metadata.annotations.team", "name": "metadata.name"}
    analysis = RolloutAnalysis(templates=[{"templateName": "t"}], args=[arg(k, v) for k, v in paths.items()])
    run = build_run(store, rollout, analysis, "ro-1", {}, {})
    assert run["spec"]["metrics"][0]["provider"]["web"]["url"] == "http://x/shop/a/ro"
    missing = RolloutAnalysis(templates=[{"templateName": "t"}], args=[arg("app", "metadata.labels['nope']")])
    with pytest.raises(Exception, match="'app' has no value"):
        build_run(store, rollout, missing, "ro-2", {}, {})


def test_a_run_whose_status_does_not_parse_is_ended_once_and_a_finished_one_is_left(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    spec = {"metrics": [{"name": "m", "provider": {"web": {"url": "http://127.0.0.1:9"}}}]}
    for name, phase in (("running", "Running"), ("done", "Successful")):
        status = {"phase": phase, "runSummary": "not a map"}
        store.create(
            {"kind": "AnalysisRun", "metadata": {"name": name, "namespace": NS}, "spec": spec, "status": status}
        )
    runner = AnalysisRunner(store, Providers(None, lambda u: u, tmp_path))
    try:
        runner.sync()
        assert sorted(runner._threads) == [(NS, "running")]
        first = runner._threads[(NS, "running")]
        first.join(30)
        runner.sync()  # its status still does not parse, and says Error now: no second thread
        assert runner._threads[(NS, "running")] is first
    finally:
        runner.stop()
    ended = store.get("AnalysisRun", NS, "running")["status"]
    assert ended["phase"] == "Error" and "status.runSummary" in ended["message"]
    assert store.get("AnalysisRun", NS, "done")["status"] == {"phase": "Successful", "runSummary": "not a map"}


@pytest.mark.parametrize(
    ("metric", "result", "phase"),
    [
        ({"successCondition": "result > 1"}, 2, "Successful"),
        ({"successCondition": "result > 1"}, 0, "Failed"),
        ({"failureCondition": "result > 1"}, 0, "Successful"),
        ({"failureCondition": "result > 1"}, 2, "Failed"),
        ({"successCondition": "result > 1", "failureCondition": "result < 0"}, 0, "Inconclusive"),
        ({}, 0, "Successful"),
    ],
)
def test_assess_matches_argo(metric: dict[str, Any], result: Any, phase: str) -> None:
    assert assess(metric, result, {}) == phase


def test_analysis_malformed_metric_ends_in_error(tmp_path: Path) -> None:
    run = _run(tmp_path, [{"name": "no-provider"}])
    assert run["status"]["phase"] == "Error"
    assert "provider" in run["status"]["message"]
