"""The `prometheus` stack part: Debian's Prometheus on a free loopback port, scraping every model server.

Started by `sluice up` before the `rollouts` part (which reads `endpoints["prometheus"]`). The scrape config
uses file-based discovery of `SLUICE_HOME/prometheus/targets/*.json`, which the rollout controller rewrites
whenever model servers start or stop (Prometheus re-reads the file on change; the controller also calls
`/-/reload`). The scrape interval is 1 s so short analysis windows work on one machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute

from sluicegate.errors import ServiceError
from sluicegate.services import ManagedProcess, free_port, wait_http
from sluicegate.stack._part import StackContext

__all__ = ["PrometheusPart", "find_prometheus", "scrape_config"]

_CANDIDATES = ("/usr/bin/prometheus", "/usr/local/bin/prometheus")


def find_prometheus() -> str | None:
    """The prometheus binary, or None."""
    found = shutil.which("prometheus")
    if found:
        return found
    return next((c for c in _CANDIDATES if Path(c).exists()), None)


def scrape_config(targets_dir: Path, interval: str = "1s") -> str:
    """prometheus.yml: one job over the file-discovered model servers."""
    return (
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


class PrometheusPart:
    """Prometheus for canary analysis; `start` returns `{"prometheus": url}` (empty when not installed)."""

    name = "prometheus"

    def __init__(self) -> None:
        self.url: str | None = None
        self.missing = False
        self._proc: ManagedProcess | None = None

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
        config.write_text(scrape_config(targets))
        port = free_port()
        argv = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={home / 'data'}",
            "--storage.tsdb.retention.time=2d",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            "--log.level=warn",
        ]
        self._proc = ManagedProcess(argv, ctx.settings.home / "logs" / "prometheus.log")
        self.url = f"http://127.0.0.1:{port}"
        try:
            wait_http(self.url + "/-/ready", 60, self._proc.proc, self._proc.log)
        except ServiceError:
            self.stop()
            raise
        return {"prometheus": self.url}

    def stop(self) -> None:
        """Stop Prometheus."""
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
        return {"healthy": self._proc is not None and self._proc.alive(), "url": self.url}

    def routes(self) -> list[BaseRoute]:
        """None."""
        return []
