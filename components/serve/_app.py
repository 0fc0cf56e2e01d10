"""The model server's ASGI application (raw ASGI, no framework: every microsecond is per request).

Called by uvicorn (`components.serve.__main__`). Routes: `POST /invocations` (MLflow's scoring protocol),
`GET /ping` and `GET /health` (alive), `GET /ready` (model loaded), `GET /version`, `GET /metrics`
(Prometheus). With several workers, each one takes connections only once its own model is loaded, so a
server that answers at all answers ready. Every response carries `X-Model-Name`, `X-Model-Version`,
`X-Model-Uri` and `X-Model-Run-Id`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from components.httpguard import Guard
from components.serve._load import load
from components.serve._metrics import Metrics
from components.serve._model import InputError, LoadedModel, ModelFailure

__all__ = ["MAX_BODY", "ServeApp", "create_app"]

#: Largest request body accepted (bytes); larger ones get 413.
MAX_BODY = 16 * 1024 * 1024

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_JSON = b"application/json"

#: The model `__main__` loaded before uvicorn forked the workers (each fork finds it here, already loaded); None
#: in a spawned worker, which loads its own at startup.
PRELOADED: LoadedModel | None = None


class ServeApp:
    """An ASGI app answering for one model.

    Args:
        model_uri: what to load (see `components.serve._model.load`).
        tracking_uri: MLflow tracking URI for `models:/` URIs.
        metrics_dir: directory shared by all workers for the Prometheus counters.
        model: an already loaded model (skips loading).
    """

    def __init__(
        self, model_uri: str, tracking_uri: str | None, metrics_dir: Path, model: LoadedModel | None = None
    ) -> None:
        self.model_uri = model_uri
        self.tracking_uri = tracking_uri
        self.metrics_dir = metrics_dir
        self.model: LoadedModel | None = None
        self.metrics: Metrics | None = None
        self.error = ""
        self._headers: list[tuple[bytes, bytes]] = []
        if model is not None:
            self._ready(model)

    def _ready(self, model: LoadedModel) -> None:
        info = model.info
        self._headers = [
            (b"x-model-name", info.name.encode()),
            (b"x-model-version", info.version.encode()),
            (b"x-model-uri", info.uri.encode()),
            (b"x-model-run-id", info.run_id.encode()),
        ]
        labels = {"model_name": info.name, "model_version": info.version}
        self.metrics = Metrics(self.metrics_dir, labels, model.classes)
        self.model = model

    def load_now(self) -> None:
        """Load the model (blocking); a failure is kept in `error`, which `/ready` and `/invocations` answer."""
        try:
            self._ready(load(self.model_uri, self.tracking_uri))
        except Exception as e:
            self.error = f"cannot load {self.model_uri}: {type(e).__name__}: {e}"
            print(self.error, file=sys.stderr, flush=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # uvicorn lets a worker accept connections on the shared socket only once its startup is
                # complete: loading here means no request ever reaches a worker whose model is not loaded
                # (until the first worker is ready, connections wait in the listen backlog).
                if self.model is None:
                    await asyncio.to_thread(self.load_now)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.model is not None:
                    self.model.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == "/invocations":
            if method != "POST":
                await self._send(send, 405, {"error_code": "METHOD_NOT_ALLOWED", "message": "use POST /invocations"})
                return
            await self._invocations(scope, receive, send)
            return
        if method not in ("GET", "HEAD"):
            await self._send(send, 405, {"error_code": "METHOD_NOT_ALLOWED", "message": f"use GET {path}"})
        elif path in ("/ping", "/health"):
            await self._send_raw(send, 200, b"\n", b"text/plain")
        elif path == "/ready":
            if self.model is not None:
                await self._send(send, 200, {"ready": True, "model_version": self.model.info.version})
            else:
                await self._send(send, 503, {"ready": False, "message": self.error or "loading the model"})
        elif path == "/version":
            await self._send_raw(send, 200, _mlflow_version().encode(), b"text/plain")
        elif path == "/metrics":
            body = self.metrics.render() if self.metrics else b""
            await self._send_raw(send, 200, body, b"text/plain; version=0.0.4")
        else:
            await self._send(send, 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no route {path}"})

    async def _invocations(self, scope: Scope, receive: Receive, send: Send) -> None:
        model, metrics = self.model, self.metrics
        if model is None or metrics is None:
            await self._send(send, 503, {"error_code": "NOT_READY", "message": self.error or "model is loading"})
            return
        began = time.perf_counter()
        metrics.start()
        code, preds = 200, None
        try:
            body = await _read_body(receive)
            content_type = ""
            for key, value in scope["headers"]:
                if key == b"content-type":
                    content_type = value.decode("latin-1")
            answer, preds = await model.answer(body, content_type)
            await self._send_raw(send, 200, answer, _JSON)
        except InputError as e:
            code = e.status
            await self._send(send, code, {"error_code": "BAD_REQUEST", "message": e.message})
        except ModelFailure as e:
            code = 500
            await self._send(send, 500, {"error_code": "MODEL_FAILURE", "message": str(e)[:1000]})
        except Exception as e:  # the server keeps serving whatever happens in one request
            code = 500
            await self._send(send, 500, {"error_code": "INTERNAL_ERROR", "message": f"{type(e).__name__}: {e}"})
        finally:
            metrics.observe(code, time.perf_counter() - began, preds)

    async def _send(self, send: Send, status: int, doc: dict[str, Any]) -> None:
        await self._send_raw(send, status, orjson.dumps(doc), _JSON)

    async def _send_raw(self, send: Send, status: int, body: bytes, content_type: bytes) -> None:
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *self._headers]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    """The whole request body; InputError when it is too large or the client went away before its end.

    A disconnect is also how the listener guard tells the app it refused an oversize body (it answered 413
    itself): what arrived until then is never scored.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise InputError("the request body ended early: the client disconnected (or the body was refused)")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise InputError(f"body is larger than {MAX_BODY} bytes", 413)
        chunks.append(chunk)
        if not message.get("more_body"):
            return bytes(chunks[0]) if len(chunks) == 1 else b"".join(chunks)


def _mlflow_version() -> str:
    try:
        from importlib.metadata import version

        return version("mlflow")
    except Exception:
        return "unknown"


def create_app() -> Guard:
    """App factory for uvicorn workers (behind the listener guard): configuration comes from `__main__`'s env."""
    metrics_dir = os.environ.get("SLUICE_SERVE_METRICS_DIR") or tempfile.mkdtemp(prefix="sluice-metrics-")
    app = ServeApp(
        os.environ["MODEL_URI"], os.environ.get("MLFLOW_TRACKING_URI") or None, Path(metrics_dir), model=PRELOADED
    )
    return Guard(app, MAX_BODY)
