"""Metric providers of the local analysis runner: `prometheus`, `web` and `job`, and Argo's measurement rules.

Called by `_analysis` once per measurement. Each provider returns the metric's `result` (what conditions see) or
raises `MeasurementError` (the measurement's phase becomes Error). Locally, `prometheus` always queries the
stack's own Prometheus, and service URLs of the cluster (`<rollout>-canary.<ns>.svc`) are mapped to the local
model servers by the `resolve` callable the controller passes in (see docs/compatibility.md).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from sluicegate.errors import SluiceError
from sluicegate.lang import ExprError, jsonpath
from sluicegate.lang import evaluate_condition as evaluate

__all__ = ["MeasurementError", "Providers", "assess"]

Resolve = Callable[[str], str]


class MeasurementError(SluiceError):
    """A measurement could not be taken (provider error); the measurement's phase is Error."""


def assess(metric: dict[str, Any], result: Any, args: dict[str, Any]) -> str:
    """Measurement phase from the conditions, as Argo's `evaluate.EvaluateResult` decides it."""
    success, failure = metric.get("successCondition"), metric.get("failureCondition")
    failed = bool(evaluate(str(failure), result, args)) if failure else False
    succeeded = bool(evaluate(str(success), result, args)) if success else False
    if failure and failed:
        return "Failed"
    if success and failure:
        return "Successful" if succeeded else "Inconclusive"
    if success:
        return "Successful" if succeeded else "Failed"
    return "Successful"


class Providers:
    """Takes measurements.

    Args:
        prometheus_url: the local Prometheus (None when it is not running).
        resolve: maps a cluster service URL to a local URL (identity when unknown).
        home: where job logs go.
    """

    def __init__(self, prometheus_url: str | None, resolve: Resolve, home: Path) -> None:
        self.prometheus_url = prometheus_url
        self.resolve = resolve
        self.home = home
        # Prometheus is queried at every measurement: one client (a new one builds a ~55 ms TLS context)
        self._prometheus_http = httpx.Client()

    def measure(self, provider: dict[str, Any], stop: threading.Event) -> tuple[Any, str]:
        """`(result, value-as-stored)` for one measurement of `provider`."""
        if "prometheus" in provider:
            return self._prometheus(provider["prometheus"])
        if "web" in provider:
            return self._web(provider["web"])
        if "job" in provider:
            return self._job(provider["job"], stop)
        raise MeasurementError(
            f"provider {sorted(provider)} is not supported locally",
            where="metric.provider",
            fix="use prometheus, web or job",
        )

    def _prometheus(self, spec: dict[str, Any]) -> tuple[Any, str]:
        if not self.prometheus_url:
            raise MeasurementError(
                "no Prometheus is running", where="provider.prometheus", fix="install it: apt-get install prometheus"
            )
        try:
            r = self._prometheus_http.get(
                self.prometheus_url + "/api/v1/query", params={"query": spec["query"]}, timeout=spec.get("timeout", 10)
            )
            body = r.json()
        except (httpx.HTTPError, ValueError) as e:
            raise MeasurementError(f"Prometheus query failed: {e}", where=self.prometheus_url) from e
        if body.get("status") != "success":
            raise MeasurementError(f"Prometheus: {body.get('error', r.text[:200])}", where=spec.get("query", ""))
        data = body["data"]
        if data["resultType"] == "vector":
            values = [_float(s["value"][1]) for s in data["result"]]
            return values, "[" + ",".join(_fmt(v) for v in values) + "]"
        if data["resultType"] == "scalar":
            value = _float(data["result"][1])
            return value, _fmt(value)
        raise MeasurementError(f"result type {data['resultType']} is not supported", where=spec.get("query", ""))

    def _web(self, spec: dict[str, Any]) -> tuple[Any, str]:
        url = self.resolve(spec["url"])
        headers = {h["key"]: h["value"] for h in spec.get("headers", [])}
        body = spec.get("body")
        if "jsonBody" in spec:
            body = orjson.dumps(spec["jsonBody"]).decode()
            headers.setdefault("Content-Type", "application/json")
        try:
            r = httpx.request(
                spec.get("method", "GET"), url, headers=headers, content=body, timeout=spec.get("timeoutSeconds", 10)
            )
        except httpx.HTTPError as e:
            raise MeasurementError(f"{type(e).__name__}: {e}", where=url) from e
        if not 200 <= r.status_code < 300:
            raise MeasurementError(f"received non 2xx response code: {r.status_code}", where=url)
        try:
            doc: Any = r.json()
        except ValueError:
            return r.text, r.text
        path = spec.get("jsonPath")
        if path:
            doc = _json_path(doc, path)
        return doc, orjson.dumps(doc).decode()

    def _job(self, spec: dict[str, Any], stop: threading.Event) -> tuple[Any, str]:
        containers = spec.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        if not containers:
            raise MeasurementError("the job has no containers", where="provider.job.spec.template.spec")
        c = containers[0]
        argv = [self.resolve(a) for a in [*c.get("command", []), *c.get("args", [])]]
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        env = {**os.environ, **{e["name"]: self.resolve(str(e.get("value", ""))) for e in c.get("env", [])}}
        log = self.home / "logs" / "analysis" / f"job-{os.getpid()}-{threading.get_ident()}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="sluice-job-") as tmp, log.open("wb") as out:
            argv = [a.replace("/tmp/outputs", tmp) for a in argv]
            try:
                proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
            except OSError as e:
                raise MeasurementError(f"cannot start {argv[0]}: {e}", where="provider.job") from e
            while proc.poll() is None:
                if stop.wait(0.2):
                    proc.kill()
                    proc.wait()
                    raise MeasurementError("terminated", where="provider.job")
        tail = log.read_text(errors="replace")[-300:].strip()
        if proc.returncode != 0:
            return False, f"exit code {proc.returncode}: {tail}"
        return True, "completed"


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _fmt(value: float) -> str:
    return "NaN" if math.isnan(value) else repr(value)


def _json_path(doc: Any, path: str) -> Any:
    """The `{$.a.b[0]}` subset of Kubernetes JSONPath."""
    expr = path.strip().removeprefix("{").removesuffix("}").strip()
    if not expr.startswith("$"):
        raise MeasurementError(f"jsonPath {path!r} must start with $", where="provider.web.jsonPath")
    try:
        return jsonpath(doc, expr)
    except (ExprError, TypeError) as e:
        raise MeasurementError(f"jsonPath {path!r} not found in the response", where="provider.web") from e
