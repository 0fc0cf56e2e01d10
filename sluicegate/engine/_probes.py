"""Readiness probes of daemon steps: a daemon counts as started for its siblings only once it is ready.

Called by `_controller`: for every daemon step it launches whose container declares a `readinessProbe`,
`Prober.watch` probes it in a thread of its own, as the kubelet would (`initialDelaySeconds`, then every
`periodSeconds`, each try bounded by `timeoutSeconds`, ready after `successThreshold` successes in a row), and
calls back once it is ready; the controller then sets the node's `daemoned` (Argo sets it when the daemon's
pod is running and ready). `_leaf` launches such a daemon with `daemoned: false`.

Probes reach the step on the host's network (a step's pod IP is 127.0.0.1): `httpGet` (a 2xx or 3xx answer
is ready, as the kubelet counts it) and `tcpSocket` (a connection is ready). A named port is looked up in
the container's `ports`. An `exec` probe's command runs inside the step (`run_exec`, the executor's
`exec_probe`: its environment, working folder, namespaces and user) and exit code 0 is ready; a command still
running after `timeoutSeconds` is killed and counts as a failure, as the kubelet's. `grpc` probes are not run
locally (the stack has no gRPC client): see `unsupported`.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["WAITING_FOR_READINESS", "Prober", "readiness_probe", "unsupported"]

log = logging.getLogger(__name__)
Key = tuple[str, str, str]

#: The node message of a daemon whose readiness probe has not passed yet.
WAITING_FOR_READINESS = "waiting for the readiness probe"


def readiness_probe(tmpl: dict[str, Any]) -> dict[str, Any] | None:
    """The readiness probe of a daemon template's container or script (None without one)."""
    if not tmpl.get("daemon"):
        return None
    body = tmpl.get("container") or tmpl.get("script") or {}
    probe = body.get("readinessProbe")
    return dict(probe) if isinstance(probe, dict) else None


def unsupported(probe: dict[str, Any]) -> str | None:
    """Why a probe cannot run locally (None when it can)."""
    if "httpGet" in probe or "tcpSocket" in probe or "exec" in probe:
        return None
    kind = "grpc" if "grpc" in probe else "this"
    return f"{kind} readiness probes are not run locally: the daemon counts as ready once it started"


def _port(value: Any, ports: list[dict[str, Any]]) -> int:
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    for port in ports:
        if port.get("name") == value:
            return int(port["containerPort"])
    raise ValueError(f"port {value!r} is not one of the container's named ports")


def _ready_once(probe: dict[str, Any], ports: list[dict[str, Any]], timeout: float) -> bool:
    """One try of a probe against 127.0.0.1."""
    try:
        if "httpGet" in probe:
            get = probe["httpGet"]
            scheme = str(get.get("scheme") or "HTTP").lower()
            url = f"{scheme}://127.0.0.1:{_port(get.get('port'), ports)}{get.get('path') or '/'}"
            headers = {str(h.get("name")): str(h.get("value")) for h in get.get("httpHeaders") or []}
            answer = httpx.get(url, headers=headers, timeout=timeout, verify=False)
            return 200 <= answer.status_code < 400
        with socket.create_connection(("127.0.0.1", _port(probe["tcpSocket"].get("port"), ports)), timeout=timeout):
            return True
    except (httpx.HTTPError, OSError, ValueError):
        return False


class Prober:
    """Probes daemon steps until they are ready; `on_ready(key)` is called once for each that becomes ready.

    Args:
        on_ready: called with the step's key once its probe passed.
        run_exec: runs an exec probe's command in the step `(key, command, timeout)`; whether it exited 0.
    """

    def __init__(
        self, on_ready: Callable[[Key], None], run_exec: Callable[[Key, list[str], float], bool] | None = None
    ) -> None:
        self._on_ready = on_ready
        self._exec = run_exec
        self._lock = threading.Lock()
        self._watched: dict[Key, threading.Event] = {}

    def watch(self, key: Key, probe: dict[str, Any], ports: list[dict[str, Any]]) -> None:
        """Start probing the step `key` (namespace, workflow, node id); nothing if it is already watched."""
        with self._lock:
            if key in self._watched:
                return
            stop = self._watched[key] = threading.Event()
        threading.Thread(target=self._run, args=(key, probe, ports, stop), name="sluice-probe", daemon=True).start()

    def forget(self, key: Key) -> None:
        """Stop probing a step (it ended, or its workflow was deleted)."""
        with self._lock:
            stop = self._watched.pop(key, None)
        if stop is not None:
            stop.set()

    def stop(self) -> None:
        """Stop every probe."""
        with self._lock:
            stops, self._watched = list(self._watched.values()), {}
        for stop in stops:
            stop.set()

    def _run(self, key: Key, probe: dict[str, Any], ports: list[dict[str, Any]], stop: threading.Event) -> None:
        period = max(1.0, float(probe.get("periodSeconds") or 10))
        timeout = max(1.0, float(probe.get("timeoutSeconds") or 1))
        needed = max(1, int(probe.get("successThreshold") or 1))
        if stop.wait(float(probe.get("initialDelaySeconds") or 0)):
            return
        successes = 0
        while not stop.is_set():
            started = time.monotonic()
            if "exec" in probe:
                command = [str(a) for a in (probe["exec"] or {}).get("command") or []]
                ready = self._exec is not None and self._exec(key, command, timeout)
            else:
                ready = _ready_once(probe, ports, timeout)
            successes = successes + 1 if ready else 0
            if successes >= needed:
                with self._lock:
                    self._watched.pop(key, None)
                try:
                    self._on_ready(key)
                except Exception:  # the node may be gone; nothing else depends on this thread
                    log.exception("marking daemon %s ready failed", key)
                return
            stop.wait(max(0.0, period - (time.monotonic() - started)))
