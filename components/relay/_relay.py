"""The relay process: an HTTP endpoint for MLflow webhooks, a finished-runs poller, a CloudEvents emitter.

Called by `components.relay.__main__` (and by tests in-process). Answers on the webhook endpoint:
200 emitted (or ignored for events it does not relay) · 401 bad or missing signature / stale timestamp ·
409 replayed delivery id · 400 malformed JSON · 413 too large · 502 the EventSource did not accept the
CloudEvent (MLflow retries on 5xx, and the delivery is not marked seen).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cloudevents.core.bindings.http import to_binary_event
from cloudevents.core.v1.event import CloudEvent

from components.httpguard import GuardedHandler, loads_bounded
from components.relay._events import RelayEvent, model_version_event, run_finished_event
from components.relay._mlflow import MlflowError, MlflowRest
from components.relay._signature import SignatureError, verify
from components.relay._state import RelayState

__all__ = ["Relay", "RelayConfig"]

log = logging.getLogger("components.relay")
_MAX_BODY = 5 * 1024 * 1024


@dataclass(frozen=True)
class RelayConfig:
    """Where the relay reads, listens, writes and how often it polls."""

    mlflow: str
    sink: str  # base URL of the `mlflow` EventSource: <sink>/<event-name>
    state: Path
    secret: str
    sink_token: str = ""  # bearer token of the `mlflow` EventSource (its authSecret)
    host: str = "127.0.0.1"
    port: int = 0
    poll_interval: float = 2.0
    window: float = 300.0  # accepted timestamp skew of webhook deliveries, seconds
    register_webhook: bool = False
    webhook_name: str = "sluicegate-relay"
    public_url: str = ""  # URL MLflow should call; default http://<host>:<port>/webhook
    backfill_seconds: float = 0.0  # on a first start, also announce runs that finished this long before


class Relay:
    """The running relay; `start()` binds and starts its threads, `stop()` ends them.

    Args:
        cfg: configuration.
    """

    def __init__(self, cfg: RelayConfig) -> None:
        self.cfg = cfg
        first = int((time.time() - cfg.backfill_seconds) * 1000)
        self.state = RelayState(cfg.state, initial_watermark=first)
        self.mlflow = MlflowRest(cfg.mlflow)
        self._http = httpx.Client(timeout=15.0)
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer((cfg.host, cfg.port), _handler(self))
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.emitted = 0
        self.last_error = ""
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="relay-http", daemon=True),
            threading.Thread(target=self._poll_loop, name="relay-poll", daemon=True),
        ]

    @property
    def url(self) -> str:
        """The webhook URL MLflow calls."""
        return self.cfg.public_url or f"http://{self.cfg.host}:{self.port}/webhook"

    def start(self) -> None:
        """Register the MLflow webhook (if asked) and start serving and polling."""
        if self.cfg.register_webhook:
            self.mlflow.ensure_webhook(self.cfg.webhook_name, self.url, self.cfg.secret)
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """Stop serving and polling; also after a `start()` that failed before serving."""
        self._stop.set()
        if self._threads[0].is_alive():  # shutdown() waits for serve_forever: it would block for good
            self._server.shutdown()
        self._server.server_close()
        for t in self._threads:
            if t.is_alive():
                t.join(10)
        self.mlflow.close()
        self._http.close()

    # -- emitting ------------------------------------------------------------------------------------
    def emit(self, event: RelayEvent) -> None:
        """POST one CloudEvent (binary mode) to the EventSource; raises RuntimeError when not accepted."""
        ce = CloudEvent(
            attributes={
                "id": event.id,
                "source": self.cfg.mlflow,
                "type": event.type,
                "subject": event.subject,
                "datacontenttype": "application/json",
            },
            data=event.data,
        )
        msg = to_binary_event(ce)
        url = f"{self.cfg.sink.rstrip('/')}/{event.event}"
        headers = dict(msg.headers)
        if self.cfg.sink_token:
            headers["Authorization"] = f"Bearer {self.cfg.sink_token}"
        try:
            r = self._http.post(url, headers=headers, content=msg.body)
        except httpx.HTTPError as e:
            raise RuntimeError(f"POST {url}: {type(e).__name__}: {e}") from e
        if r.status_code >= 300:
            raise RuntimeError(f"POST {url} answered {r.status_code}: {r.text[:200]}")
        self.emitted += 1

    # -- webhooks ------------------------------------------------------------------------------------
    def handle_webhook(self, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        """Verify, de-duplicate and relay one MLflow webhook delivery; (status, text)."""
        delivery = headers.get("x-mlflow-delivery-id", "")
        try:
            verify(
                self.cfg.secret,
                delivery,
                headers.get("x-mlflow-timestamp", ""),
                body,
                headers.get("x-mlflow-signature", ""),
                now=time.time(),
                window=self.cfg.window,
            )
        except SignatureError as e:
            return 401, f"rejected: {e}"
        if self.state.seen_delivery(delivery):
            return 409, f"rejected: delivery {delivery} was already processed (replay)"
        try:
            payload = loads_bounded(body)
            entity, action = str(payload["entity"]), str(payload["action"])
            data = payload.get("data") or {}
            if not isinstance(data, dict):
                raise TypeError(f"data is a {type(data).__name__}, not an object")
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            return 400, f"malformed webhook payload: {e}"
        if (entity, action) != ("model_version", "created"):
            self.state.mark_delivery(delivery, time.time())
            return 200, f"ignored: {entity}.{action} is not relayed"
        name, version = str(data.get("name") or ""), str(data.get("version") or "")
        if not name or not version:
            self.state.mark_delivery(delivery, time.time())
            return 400, "malformed webhook payload: model_version.created without name and version"
        try:
            event = self._version_event(name, version, data)
            self.emit(event)
        except (MlflowError, RuntimeError) as e:
            self.last_error = str(e)
            return 502, f"could not relay: {e}"
        self.state.mark_delivery(delivery, time.time())
        return 200, f"relayed {event.id}"

    def _version_event(self, name: str, version: str, data: dict[str, Any]) -> RelayEvent:
        mv = dict(data)
        # MLflow's webhook may send run_id null and carries no creation_timestamp; the registry row has both.
        # Without the row's time, a delivery relayed after the run ended looked registered after it.
        if not mv.get("run_id") or not mv.get("creation_timestamp"):
            mv = {**self.mlflow.model_version(name, version), **{k: v for k, v in data.items() if v}}
        run = self.mlflow.run(str(mv["run_id"])) if mv.get("run_id") else None
        return model_version_event(mv, run, self.cfg.mlflow)

    # -- polling -------------------------------------------------------------------------------------
    def poll_once(self) -> int:
        """Announce every newly finished run; returns how many were emitted."""
        count = 0
        for run in self.mlflow.finished_runs(self.state.since()):
            info = run["info"]
            run_id = str(info.get("run_id") or info.get("run_uuid"))
            if not self.state.is_new_run(run_id):
                continue
            versions = self.mlflow.versions_of_run(run_id)
            self.emit(run_finished_event(run, versions, self.cfg.mlflow))
            self.state.mark_run(run_id, int(info.get("end_time") or 0))
            count += 1
        return count

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except (MlflowError, RuntimeError) as e:
                self.last_error = str(e)
                log.warning("poll failed: %s", e)
            self._stop.wait(self.cfg.poll_interval)


def _handler(relay: Relay) -> type[BaseHTTPRequestHandler]:
    class Handler(GuardedHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            """`/health`."""
            if self.refused(None) is not None:
                return
            if self.path == "/health":
                self.send_text(200, "OK")
            else:
                self.send_text(404, "not found")

        def do_POST(self) -> None:
            """`/webhook`: MLflow registry webhooks."""
            if self.refused(_MAX_BODY) is not None:
                return  # foreign Host/Origin (403) or a body over the limit (413), answered before reading it
            if self.path != "/webhook":
                self.send_text(404, "not found; MLflow webhooks go to /webhook", close=True)
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, text = relay.handle_webhook({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_text(status, text)

    return Handler
