"""What every route of the stack's API answers with: Argo's error body, JSON in and out, threaded handlers.

Used by the route modules of `sluicegate.api` and by parts that add routes to it (`sluicegate.rollouts`), so
every route reads bodies, blocks off the event loop and reports errors one way. Errors leave the API as
grpc-gateway does it: `{"code": <grpc code>, "message": "..."}` with the matching HTTP status, never a raw
traceback; `sluice_error_handler` (installed by the API app) turns a raised SluiceError into that body.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sluicegate.errors import ManifestError, SluiceError
from sluicegate.store import json_bytes

__all__ = ["Handler", "error_response", "json_response", "read_json", "sluice_error_handler", "threaded"]

log = logging.getLogger(__name__)

#: HTTP status -> grpc code, as grpc-gateway maps them back (google.golang.org/grpc/codes); 410, which the
#: gateway never sends, gets InvalidArgument, the code of Argo's watch error for a too old resourceVersion.
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 410: 3, 412: 9, 500: 13, 501: 12, 503: 14}


class _Json(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)


def json_response(content: Any, status: int = 200) -> Response:
    """A JSON response (orjson: fast, and it writes the store's documents as they are)."""
    return _Json(content, status_code=status)


def error_response(status: int, message: str, code: int | None = None) -> Response:
    """Argo's error body `{"code", "message", "details"}` with HTTP `status`."""
    grpc = code if code is not None else _GRPC_CODES.get(status, 2)
    return json_response({"code": grpc, "message": message, "details": []}, status)


async def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; ManifestError (400) when it is not one."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise ManifestError(f"the body is not valid JSON: {e}", where="request body", fix="send a JSON object") from e
    if not isinstance(body, dict):
        raise ManifestError(
            f"the body is a JSON {type(body).__name__}, not an object", where="request body", fix="send a JSON object"
        )
    return body


#: A route's work: the request and its JSON body (`{}` for GET/DELETE) in, a response out.
Handler = Callable[[Request, dict[str, Any]], Response]


def threaded(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that reads the JSON body, then runs `fn` in a worker thread.

    Store calls block (SQLite, and the store's lock while a controller reconciles); running them off the
    event loop keeps other requests and open log streams moving.
    """

    @functools.wraps(fn)
    async def endpoint(request: Request) -> Response:
        body = await read_json(request) if request.method in ("POST", "PUT") else {}
        return await run_in_threadpool(fn, request, body)

    return endpoint


async def sluice_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette exception handler: a SluiceError becomes Argo's error body with its HTTP status."""
    if isinstance(exc, SluiceError):
        status = exc.http_status
        if status == 409 and "modified" in exc.what:
            # A stale resourceVersion is grpc Aborted (10); an existing name is AlreadyExists (6).
            return error_response(409, exc.message, code=10)
        return error_response(status, exc.message)
    log.exception("unexpected error serving %s %s", request.method, request.url.path)
    return error_response(500, f"internal error: {type(exc).__name__}: {exc}")
