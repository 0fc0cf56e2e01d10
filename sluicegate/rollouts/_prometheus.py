"""The `prometheus` stack part: Debian's Prometheus on a free loopback port, scraping every model server.

It also scrapes the workflow controller's custom metrics (`GET /api/v1/sluice/metrics` on the API, with the
stack's token from SLUICE_HOME/token, which Prometheus re-reads on every scrape).

Started by `sluice up` before the `rollouts` part (which reads `endpoints["prometheus"]`). The scrape config
uses file-based discovery of `SLUICE_HOME/prometheus/targets/*.json`, which the rollout controller rewrites
whenever model servers start or stop (Prometheus re-reads the file on change). The scrape interval is 1 s so
short analysis windows work on one machine.

Prometheus runs without `--web.enable-lifecycle` (a cross-origin POST to `/-/quit` could otherwise stop it;
`reload` sends SIGHUP instead) and with CORS limited to its own origin. A watchdog thread restarts it on the
same port if it dies; `status` reports the restarts and the last exit code.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.routing import BaseRoute

from sluicegate.errors import ServiceError
from sluicegate.part import StackContext
from sluicegate.services import ManagedProcess, free_port, wait_http

__all__ = ["PrometheusPart", "find_prometheus", "scrape_config"]

_CANDIDATES = ("/usr/bin/prometheus", "/usr/local/bin/prometheus")


def find_prometheus() -> str | None:
    """The prometheus binary, or None."""
    found = shutil.which("prometheus")
    if found:
        return found
    return next((c for c in _CANDIDATES if Path(c).exists()), None)


def scrape_config(targets_dir: Path, interval: str = "1s", api: str = "", token_file: Path | None = None) -> str:
    """prometheus.yml: the file-discovered model servers, and the workflows' custom metrics from the API."""
    config = (
        "global:\n"
        f"  scrape_interval: {interval}\n"
        f"  evaluation_interval: {interval}\n"
        "scrape_configs:\n"
        "  - job_name: model-servers\n"
        f"    scrape_interval: {interval}\n"
        "    scrape_timeout: 1s\n"
        "    file_sd_configs:\n"
        f"      - files: ['{targets_dir}/*.json']\n"
        "        refresh_interval: 1s\n"
    )
    host = urlsplit(api).netloc
    if host and token_file is not None:  # the workflow controller's metrics need the stack's token
        config += (
            "  - job_name: workflow-controller\n"
            "    scrape_interval: 5s\n"
            "    metrics_path: /api/v1/sluice/metrics\n"
            "    authorization:\n"
            f"      credentials_file: '{token_file}'\n"
            "    static_configs:\n"
            f"      - targets: ['{host}']\n"
        )
    return config


class PrometheusPart:
    """Prometheus for canary analysis; `start` returns `{"prometheus": url}` (empty when not installed)."""

    name = "prometheus"

    def __init__(self, watch_interval: float = 1.0) -> None:
        self.url: str | None = None
        self.missing = False
        self.restarts = 0
        self.last_exit: int | None = None
        self._proc: ManagedProcess | None = None
        self._watch_interval = watch_interval
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Write the config and start Prometheus; waits until it is ready."""
        binary = find_prometheus()
        if binary is None:
            self.missing = True
            return {}
        home = ctx.settings.home / "prometheus"
        targets = home / "targets"
        targets.mkdir(parents=True, exist_ok=True)
        config = home / "prometheus.yml"
        config.write_text(scrape_config(targets, api=ctx.endpoints.get("api", ""), token_file=ctx.settings.token_file))
        port = free_port()
        argv = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={home / 'data'}",
            "--storage.tsdb.retention.time=2d",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.cors.origin=http://127\\.0\\.0\\.1:{port}",
            "--log.level=warn",
        ]
        self._proc = ManagedProcess(argv, ctx.settings.home / "logs" / "prometheus.log")
        self.url = f"http://127.0.0.1:{port}"
        try:
            wait_http(self.url + "/-/ready", 60, self._proc.proc, self._proc.log)
        except ServiceError:
            self.stop()
            raise
        self._stopping.clear()
        threading.Thread(target=self._watch, name="prometheus-watchdog", daemon=True).start()
        return {"prometheus": self.url}

    def _watch(self) -> None:
        """Restart Prometheus (same argv, same port) whenever it exits while the stack runs."""
        while not self._stopping.wait(self._watch_interval):
            with self._lock:
                proc = self._proc
                if proc is None or proc.alive() or self._stopping.is_set():
                    continue
                self.last_exit = proc.proc.returncode
                self.restarts += 1
                self._proc = ManagedProcess(proc.argv, proc.log)

    def reload(self) -> None:
        """Re-read the configuration (SIGHUP, as the lifecycle endpoint is off)."""
        if self._proc is not None and self._proc.alive():
            os.kill(self._proc.pid, signal.SIGHUP)

    def stop(self) -> None:
        """Stop the watchdog, then Prometheus."""
        self._stopping.set()
        with self._lock:
            if self._proc is not None:
                self._proc.stop()
            self._proc = None

    def pids(self) -> list[int]:
        """Its process group (for `sluice down` after a crash)."""
        return [self._proc.pid] if self._proc is not None else []

    def status(self) -> dict[str, Any]:
        """`{"healthy", "url"}`, or how to install Prometheus."""
        if self.missing:
            return {"healthy": False, "error": "prometheus is not installed", "fix": "apt-get install prometheus"}
        out: dict[str, Any] = {"healthy": self._proc is not None and self._proc.alive(), "url": self.url}
        if self.restarts:
            out |= {"restarts": self.restarts, "lastExitCode": self.last_exit}
        return out

    def routes(self) -> list[BaseRoute]:
        """None."""
        return []
