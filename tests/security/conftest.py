"""Every local listener of the stack, started once per module on free ports, and a raw HTTP client for them.

The listeners are the real servers (uvicorn with the guarded protocol, `http.server`, the asyncio splitter),
each in this process so one fixture serves the whole fuzz quickly: the API with the UI's routes, an
EventSource port, the MLflow relay, a model server with a real scikit-learn model, the splitter in front of
it, and the Slack sink.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # listenerkit
sys.path.insert(0, str(Path(__file__).parent.parent / "serve"))  # modelkit: a small real model

from listenerkit import SLOW, TOKEN, Listener


@pytest.fixture(scope="module")
def listeners(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Listener]]:
    """All listeners, started once for the module."""
    import uvicorn
    from modelkit import save_sklearn

    from components.httpguard import Guard, GuardedHandler, guarded_http_protocol
    from components.httpguard._deadline import HeaderDeadline
    from components.relay._relay import Relay, RelayConfig
    from components.serve._app import MAX_BODY, ServeApp
    from components.serve._load import load
    from sluicegate.api import ApiServer
    from sluicegate.config import Settings
    from sluicegate.eventing._receive import Receiver
    from sluicegate.eventing._server import PortServer
    from sluicegate.eventing._sources import Endpoint
    from sluicegate.part import StackContext
    from sluicegate.rollouts._splitter import Backend, Splitter
    from sluicegate.secrets import SecretStore
    from sluicegate.services import SlackSinkPart, free_port
    from sluicegate.store import Store
    from sluicegate.ui import UiPart

    patch = pytest.MonkeyPatch()  # a short header deadline for every listener (the default is 10 s)
    patch.setattr(HeaderDeadline, "header_timeout", SLOW)
    patch.setattr(GuardedHandler, "timeout", SLOW)
    patch.setattr("sluicegate.rollouts._splitter.HEADER_TIMEOUT", SLOW)
    home = tmp_path_factory.mktemp("security-home")
    ctx = StackContext(Settings(home=home, api_port=0), Store(home / "store.db"), SecretStore(home), TOKEN)
    stops: list[object] = []
    ui, api, sink = UiPart(), ApiServer(), SlackSinkPart()
    api.attach([ui])
    ctx.endpoints.update(api.start(ctx))
    ui.start(ctx)
    old_slack = os.environ.pop("SLUICE_SLACK_API_URL", None)
    sink.start(ctx)
    stops += [api.stop, sink.stop]

    ev_port = free_port()
    ep = Endpoint(namespace="sluicegate", source="hooks", event="push", type="webhook", port=ev_port, path="/push")
    events = PortServer("127.0.0.1", ev_port, Receiver(ctx.store, ctx.secrets, lambda doc: None))
    events.set_routes([ep])
    events.start()
    stops.append(events.stop)

    relay = Relay(
        RelayConfig(mlflow="http://127.0.0.1:9", sink=f"http://127.0.0.1:{ev_port}", state=home / "relay", secret="s")
    )
    relay._threads[0].start()  # serve only: there is no MLflow to poll here
    stops.append(relay._server.shutdown)

    model = load(str(save_sklearn(home / "model")))
    serve_cfg = uvicorn.Config(
        Guard(ServeApp("model", None, home / "metrics", model=model), MAX_BODY),
        port=0,
        http=guarded_http_protocol(),
        lifespan="off",
        log_level="warning",
    )
    serve_sock = socket.socket()
    serve_sock.bind(("127.0.0.1", 0))
    serve = uvicorn.Server(serve_cfg)
    threading.Thread(target=serve.run, kwargs={"sockets": [serve_sock]}, daemon=True).start()
    while not serve.started:
        time.sleep(0.02)
    serve_port = serve_sock.getsockname()[1]

    def stop_serve() -> None:
        serve.should_exit = True

    stops.append(stop_serve)
    splitter = Splitter("fuzz")
    splitter.set_route(Backend("127.0.0.1", serve_port), None, 0)
    stops.append(splitter.stop)

    json_ct = (("Content-Type", "application/json"),)
    api_port = int(api.url.rsplit(":", 1)[1])
    found = {
        "api": Listener(
            "api", api_port, "POST", "/api/v1/workflows/sluicegate", (("Authorization", f"Bearer {TOKEN}"), *json_ct)
        ),
        "ui": Listener("ui", api_port, "POST", "/ui/login", (("Content-Type", "application/x-www-form-urlencoded"),)),
        "eventsource": Listener("eventsource", ev_port, "POST", "/push", json_ct),
        "relay": Listener("relay", relay.port, "POST", "/webhook", json_ct),
        "model-server": Listener("model-server", serve_port, "POST", "/invocations", json_ct),
        "splitter": Listener("splitter", splitter.port, "POST", "/invocations", json_ct),
        "slack-sink": Listener(
            "slack-sink",
            int(sink.status()["url"].rsplit(":", 1)[1]),
            "POST",
            "/chat.postMessage",
            (("Authorization", "Bearer xoxb-t"), *json_ct),
        ),
    }
    try:
        yield found
    finally:
        for stop in reversed(stops):
            stop()  # type: ignore[operator]
        patch.undo()
        if old_slack is not None:
            os.environ["SLUICE_SLACK_API_URL"] = old_slack
