"""The `events` part of `sluice up`: EventSource servers, the sensor controller, the MLflow relay.

Called by the stack supervisor (`sluicegate.stack`) and by tests that drive the runtime with a temp store.
It reads EventSources and Sensors from the store (re-reading EventSources when they change), serves
every endpoint on its port, journals events, runs Sensors, and starts `components.relay` as a child
process when an MLflow URL is known. API routes: `GET /api/v1/sluice/events[?source=&phase=&limit=]` and
`GET /api/v1/sluice/events/{namespace}/{name}`.
"""

from __future__ import annotations

import os
import secrets as pysecrets
import sys
import threading
from collections import defaultdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sluicegate.errors import ConfigError, ManifestError, NotFoundError, SluiceError
from sluicegate.eventing._calendar import CalendarSpec, CalendarTimer, calendars_of
from sluicegate.eventing._conflicts import mark_conflicts
from sluicegate.eventing._controller import SensorController
from sluicegate.eventing._journal import EVENT_KIND, list_events
from sluicegate.eventing._receive import Receiver
from sluicegate.eventing._server import PortServer
from sluicegate.eventing._sources import Endpoint, endpoints_of, unsupported_types
from sluicegate.eventing._triggers import TriggerRunner
from sluicegate.eventing._workflow_ops import WorkflowVerbs
from sluicegate.part import StackContext
from sluicegate.services import ManagedProcess, Watchdog, free_port, wait_http
from sluicegate.store import Store
from sluicegate.web import json_response, threaded

__all__ = ["MLFLOW_AUTH_SECRET", "OUTCOME_AUTH_SECRET", "RELAY_SECRET", "EventsPart"]

#: The MLflow webhook secret shared by MLflow and the relay (generated when missing).
RELAY_SECRET = ("mlflow-webhook", "secret")
#: The `mlflow` EventSource's `authSecret`: the relay's bearer token (generated when missing).
MLFLOW_AUTH_SECRET = ("mlflow-events-auth", "token")
#: The `workflow-events` EventSource's `authSecret`: the exit handler's bearer token (generated when missing).
OUTCOME_AUTH_SECRET = ("workflow-events-auth", "token")
_RELAY_ENV = "SLUICE_RELAY_SECRET"
_SINK_TOKEN_ENV = "SLUICE_RELAY_SINK_TOKEN"
_PORTS_ENV = "SLUICE_EVENTS_PORTS"
_KEEP_ENV = "SLUICE_EVENTS_KEEP"


def _ensure_secret(ctx: StackContext, name: str, key: str) -> str:
    """The Secret's value, generated (random, URL-safe) and stored when missing."""
    value = ctx.secrets.try_get(name, key)
    if not value:
        value = pysecrets.token_urlsafe(32)
        ctx.secrets.set(name, key, value)
    return value


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a number", where=name, fix="set a whole number, e.g. 10000") from None


def _ports_from_env() -> dict[int, int]:
    raw = os.environ.get(_PORTS_ENV, "").strip()
    if not raw or raw == "auto":
        return {}
    out: dict[int, int] = {}
    for item in raw.split(","):
        try:
            src, dst = item.split("=")
            out[int(src)] = int(dst)
        except ValueError:
            raise ConfigError(
                f"{item!r} is not PORT=PORT", where=_PORTS_ENV, fix="use e.g. 12000=13000,12001=0 or auto"
            ) from None
    return out


class EventsPart:
    """The local Argo Events runtime.

    Args:
        port_map: EventSource port -> port to bind instead (0: a free port); for tests and port clashes.
            Default: from `SLUICE_EVENTS_PORTS` (`auto` = free ports for all, or `12000=13000,12001=0`).
        relay: start the MLflow relay when `mlflow` is in the endpoints.
        relay_poll_interval: seconds between the relay's finished-run polls.
        verbs: the workflow controller's verbs (the stack's), for the argoWorkflow operations besides submit.
    """

    name = "events"

    def __init__(
        self,
        port_map: dict[int, int] | None = None,
        relay: bool = True,
        relay_poll_interval: float = 2.0,
        verbs: WorkflowVerbs | None = None,
    ) -> None:
        self.verbs = verbs
        self.port_map = dict(port_map) if port_map is not None else _ports_from_env()
        self.auto_ports = port_map is None and os.environ.get(_PORTS_ENV, "").strip() == "auto"
        self.relay_enabled = relay
        self.relay_poll_interval = relay_poll_interval
        self.ctx: StackContext | None = None
        self.servers: dict[int, PortServer] = {}
        self.receiver: Receiver | None = None
        self.controller: SensorController | None = None
        self.relay: ManagedProcess | None = None
        self.relay_url = ""
        self.watchdog = Watchdog("events")  # restarts the relay if it dies
        self.problems: list[str] = []
        self.relay_problem = ""
        self._published: dict[str, str] = {}
        self._stop = threading.Event()
        self.calendars: dict[tuple[str, str, str], tuple[CalendarSpec, CalendarTimer]] = {}
        self._watch: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- Part protocol -----------------------------------------------------------------------------
    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Serve EventSources, start the controller and (if MLflow is known) the relay."""
        self.ctx = ctx
        self._stop.clear()
        for name, key in (RELAY_SECRET, MLFLOW_AUTH_SECRET, OUTCOME_AUTH_SECRET):
            _ensure_secret(ctx, name, key)
        keep = _int_env(_KEEP_ENV, 10_000)
        self.controller = SensorController(
            ctx.store, TriggerRunner(ctx.store, ctx.secrets, self.verbs), keep_events=keep
        )
        self.receiver = Receiver(ctx.store, ctx.secrets, lambda doc: None)
        since = ctx.store.head()  # before the first reconcile: a change made while the watcher starts is not lost
        self.reconcile()
        self.controller.start()
        self._watch = threading.Thread(target=self._watch_sources, args=(since,), name="eventsource-watch", daemon=True)
        self._watch.start()
        out: dict[str, Any] = {"eventsources": self.urls()}
        if self.relay_enabled and ctx.endpoints.get("mlflow"):
            try:
                out["relay"] = self._start_relay(ctx)
            except SluiceError as e:  # events still flow without it; say why in the status view
                self.relay_problem = f"relay not started: {e.message}"
        return out

    def stop(self) -> None:
        """Stop the relay, the controller, the watcher and every server; idempotent."""
        self._stop.set()
        self.watchdog.stop()
        if self.relay is not None:
            self.relay.stop()
            self.relay = None
        if self._watch is not None:
            self._watch.join(5)
            self._watch = None
        if self.controller is not None:
            self.controller.stop()
            self.controller.runner.close()
        with self._lock:
            for srv in self.servers.values():
                srv.stop()
            self.servers.clear()
            for _, timer in self.calendars.values():
                timer.stop()
            self.calendars.clear()

    def status(self) -> dict[str, Any]:
        """Counts of received/duplicate/rejected/ignored events and trigger outcomes, ports, relay state."""
        counts: dict[str, Any] = {}
        if self.receiver is not None:
            counts.update(self.receiver.counts)
        if self.controller is not None:
            counts.update({f"sensor_{k}": v for k, v in self.controller.counts.items()})
            if self.controller.last_error:
                counts["last_error"] = self.controller.last_error
        return {
            "ports": sorted(self.servers),
            "eventsources": self.urls(),
            "relay": self.relay_url if self.relay and self.relay.alive() else ("stopped" if self.relay else "off"),
            "problems": [
                *self.problems,
                *(f"{spec.where}: {t.problem}" for spec, t in self.calendars.values() if t.problem),
                *([self.relay_problem] if self.relay_problem else []),
            ],
            **self.watchdog.report(),
            **counts,
        }

    def routes(self) -> list[BaseRoute]:
        """`/api/v1/sluice/events` (list) and `/api/v1/sluice/events/{namespace}/{name}` (one)."""
        return [
            Route("/api/v1/sluice/events", threaded(self._list_route), methods=["GET"]),
            Route("/api/v1/sluice/events/{namespace}/{name}", threaded(self._get_route), methods=["GET"]),
        ]

    # -- EventSources ------------------------------------------------------------------------------
    def _store(self) -> Store:
        if self.ctx is None:
            raise SluiceError("the events part is not started", fix="start the stack with `sluice up`")
        return self.ctx.store

    def reconcile(self) -> None:
        """(Re)build the servers from the EventSources in the store.

        Two endpoints on one port and path cannot both be served: the EventSource first by namespace and
        name keeps it, the other is reported in the stack status and on its own status (`Deployed` False,
        reason `PortPathConflict`). URLs that changed are published to `endpoints.json`.
        """
        store, host = self._store(), self._host()
        wanted: dict[int, list[Endpoint]] = defaultdict(list)
        owners: dict[tuple[int, str], str] = {}
        problems: list[str] = []
        timers: dict[tuple[str, str, str], CalendarSpec] = {}
        conflicts: dict[tuple[str, str], str] = {}
        for doc in store.list("EventSource"):
            meta = doc["metadata"]
            me = f"EventSource/{meta['name']}"
            try:
                for ep in endpoints_of(doc):
                    port = self._bind_port(ep.port)
                    owner = owners.setdefault((port, ep.path), me)
                    if owner != me:
                        message = (
                            f"{me}: event {ep.event!r} wants port {ep.port} path {ep.path}, which {owner} "
                            "already serves; give one of them another port or endpoint"
                        )
                        problems.append(message)
                        conflicts[(str(meta.get("namespace", "")), str(meta["name"]))] = message
                        continue
                    wanted[port].append(ep)
                timers.update({(c.namespace, c.source, c.event): c for c in calendars_of(doc)})
            except ManifestError as e:
                problems.append(e.message)
            for kind in unsupported_types(doc):
                problems.append(f"{me}: type {kind} is not served locally")
        with self._lock:
            for port in [p for p in self.servers if p not in wanted]:
                self.servers.pop(port).stop()
            for port, eps in wanted.items():
                srv = self.servers.get(port)
                if srv is None:
                    try:
                        srv = PortServer(host, port, self._receiver())
                    except SluiceError as e:
                        problems.append(e.message)
                        continue
                    srv.start()
                    self.servers[port] = srv
                srv.set_routes(eps)
            self._reconcile_calendars(store, timers)
        self.problems = problems
        mark_conflicts(store, conflicts)
        urls = self.urls()
        if urls != self._published and self.ctx is not None and self.ctx.publish is not None:
            self.ctx.publish({"eventsources": urls})
        self._published = urls

    def _reconcile_calendars(self, store: Store, wanted: dict[tuple[str, str, str], CalendarSpec]) -> None:
        """Start a timer per calendar event; restart it when its spec changed, stop it when it went."""
        for key in [k for k, (spec, _) in self.calendars.items() if wanted.get(k) != spec]:
            self.calendars.pop(key)[1].stop()
        for key, spec in wanted.items():
            if key not in self.calendars:
                timer = CalendarTimer(spec, store)
                timer.start()
                self.calendars[key] = (spec, timer)

    def _receiver(self) -> Receiver:
        if self.receiver is None:
            raise SluiceError("the events part is not started", fix="call start() first")
        return self.receiver

    def pids(self) -> list[int]:
        """Process groups this part started (the relay), for the supervisor's leftover cleanup."""
        return [self.relay.pid] if self.relay is not None and self.relay.alive() else []

    def _host(self) -> str:
        return self.ctx.settings.host if self.ctx is not None else "127.0.0.1"

    def _bind_port(self, port: int) -> int:
        mapped = self.port_map.get(port, 0 if self.auto_ports else port)
        if mapped == 0:
            mapped = self.port_map[port] = free_port()
        return mapped

    def urls(self) -> dict[str, str]:
        """EventSource name -> URL (one endpoint), or `name/event` -> URL when a source has several."""
        out: dict[str, str] = {}
        by_source: dict[str, list[tuple[int, Endpoint]]] = defaultdict(list)
        for port, srv in self.servers.items():
            for ep in srv.routes.values():
                by_source[ep.source].append((port, ep))
        for source, eps in sorted(by_source.items()):
            for port, ep in eps:
                url = f"http://{self._host()}:{port}{ep.path}"
                out[source if len(eps) == 1 else f"{source}/{ep.event}"] = url
        return out

    def url_of(self, source: str, event: str) -> str:
        """The local URL of one EventSource event."""
        for port, srv in self.servers.items():
            for ep in srv.routes.values():
                if (ep.source, ep.event) == (source, event):
                    return f"http://{self._host()}:{port}{ep.path}"
        raise SluiceError(f"no served endpoint for {source}/{event}", fix="apply the events manifests first")

    def _watch_sources(self, since: int) -> None:
        """Reconcile on every EventSource change after store version `since` (read before the first reconcile)."""
        store = self._store()
        while not self._stop.is_set():
            changes = store.wait(since, 0.5, kinds=("EventSource",))
            if changes:
                since = max(c.seq for c in changes)
                self.reconcile()

    # -- relay -------------------------------------------------------------------------------------
    def _start_relay(self, ctx: StackContext) -> str:
        secret = _ensure_secret(ctx, *RELAY_SECRET)
        sink_token = _ensure_secret(ctx, *MLFLOW_AUTH_SECRET)
        sink = self.url_of("mlflow", "run-finished").rsplit("/", 1)[0]
        port = free_port()
        home = ctx.settings.home
        argv = [
            sys.executable, "-m", "components.relay",
            "--mlflow", str(ctx.endpoints["mlflow"]),
            "--sink", sink,
            "--listen-host", self._host(),
            "--listen-port", str(port),
            "--state", str(home / "events" / "relay-state.json"),
            "--secret-env", _RELAY_ENV,
            "--sink-token-env", _SINK_TOKEN_ENV,
            "--poll-interval", str(self.relay_poll_interval),
            "--register-webhook",
        ]  # fmt: skip
        self.relay = ManagedProcess(
            argv, home / "logs" / "relay.log", env={_RELAY_ENV: secret, _SINK_TOKEN_ENV: sink_token}
        )
        self.relay_url = f"http://{self._host()}:{port}/webhook"
        wait_http(f"http://{self._host()}:{port}/health", 60, self.relay.proc, self.relay.log)
        self.watchdog.watch("relay", lambda: self.relay)
        return self.relay_url

    # -- API ---------------------------------------------------------------------------------------
    def _list_route(self, request: Request, _body: dict[str, Any]) -> Response:
        q = request.query_params
        try:
            limit = int(q.get("limit", "200"))
        except ValueError:
            raise ManifestError(
                f"limit {q.get('limit')!r} is not a number", where="limit", fix="e.g. limit=50"
            ) from None
        items = list_events(self._store(), q.get("namespace") or None, q.get("source", ""), q.get("phase", ""), limit)
        return json_response({"items": items})

    def _get_route(self, request: Request, _body: dict[str, Any]) -> Response:
        ns, name = request.path_params["namespace"], request.path_params["name"]
        doc = self._store().try_get(EVENT_KIND, ns, name)
        if doc is None:
            raise NotFoundError(f'Event "{name}" not found', fix="list them: GET /api/v1/sluice/events")
        return json_response(doc)
