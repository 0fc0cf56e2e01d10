"""Helpers of the rollout tests: a controller harness over a temp store, and a steady load generator."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

import rollouts
from sluicegate.rollouts import RolloutController
from sluicegate.store import Store

NS = "sluicegate"


class Stack:
    """A store + rollout controllers (started and stopped by the test) over a shared Prometheus."""

    def __init__(self, store: Store, home: Path, mlflow: str, prometheus: str) -> None:
        self.store, self.home, self.mlflow, self.prometheus = store, home, mlflow, prometheus
        self.controllers: list[RolloutController] = []

    def start(self) -> RolloutController:
        c = RolloutController(self.store, self.home, self.mlflow, self.prometheus)
        c.start()
        self.controllers.append(c)
        return c

    def apply(
        self, name: str, first_uri: str, steps: list[dict[str, Any]] | None = None, background: dict | None = None
    ) -> None:
        svc = rollouts.ModelService(name, replicas=1, pause="2s", interval="2s", count=2, window="4s")
        for doc in rollouts.manifests([svc]):
            if doc["kind"] == "Rollout":
                tpl = doc["spec"]["template"]["metadata"]["annotations"]
                tpl[rollouts.MODEL_URI_ANNOTATION] = first_uri
                canary = doc["spec"]["strategy"]["canary"]
                if steps is not None:
                    canary["steps"] = steps
                if background is not None:
                    canary["analysis"] = background
                for step in canary["steps"]:
                    if "analysis" in step:
                        step["analysis"]["args"] += [
                            {"name": "duration-seconds", "value": "3"},
                            {"name": "rps", "value": "20"},
                            {"name": "p99-latency-ms", "value": "2000"},
                        ]
            self.store.apply(doc)

    def rollout(self, name: str) -> dict[str, Any]:
        return self.store.get("Rollout", NS, name)

    def wait(self, name: str, pred: Callable[[dict[str, Any]], bool], timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ro = self.rollout(name)
            if pred(ro.get("status") or {}):
                return ro
            time.sleep(0.2)
        raise AssertionError(f"timed out; status: {self.rollout(name).get('status')}")


class Load:
    """Steady load on a URL from two threads; counts status codes, backends and model versions.

    Each thread waits 50 ms between answers (~40 requests/s in all): a flow still sends hundreds of
    requests, at a quarter of the CPU the splitter and model servers spent at a 10 ms wait.
    """

    def __init__(self, url: str, body: dict[str, Any]) -> None:
        self.url, self.body = url, body
        self.codes: Counter[int] = Counter()
        self.versions: Counter[str] = Counter()
        self.recent: list[tuple[int, str]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(2)]

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(10)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                try:
                    r = client.post(self.url + "/invocations", json=self.body)
                except httpx.HTTPError as e:
                    self.errors.append(repr(e))
                    continue
                version = r.headers.get("x-model-version", "")
                self.codes[r.status_code] += 1
                self.versions[version] += 1
                self.recent = [*self.recent[-199:], (r.status_code, version)]
                time.sleep(0.05)

    def reset_recent(self) -> None:
        """Forget what was seen so far, once requests sent before now have come back."""
        time.sleep(1.0)
        self.recent = []
