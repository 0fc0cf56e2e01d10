"""Bearer auth of the Argo-Server-compatible API (Argo's error body and JSON helpers: `sluicegate.services`).

Installed by `sluicegate.api._app` around the whole app.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from sluicegate.web import error_response

__all__ = ["BearerAuth"]


class BearerAuth:
    """ASGI middleware: every request under `/api/` needs `Authorization: Bearer <token>`, else 401.

    Other paths are not API calls: `GET /healthz` stays open so supervisors can probe liveness, and pages
    parts mount outside `/api/` (the UI under `/ui/`) do their own sign-in with the same token.

    Args:
        app: the wrapped application.
        token: the one accepted bearer token, or a function that gives the current one (a rotated token
            takes effect on the next request).
    """

    def __init__(self, app: ASGIApp, token: str | Callable[[], str]) -> None:
        self.app = app
        self._token = token if callable(token) else (lambda: token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        given = b""
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                given = value.strip()
                break
        if not hmac.compare_digest(given, f"Bearer {self._token()}".encode()):
            why = "no Authorization header" if not given else "the bearer token is not this stack's token"
            response = error_response(
                401, f"Unauthorized: {why}; send `Authorization: Bearer <token>` with the token in SLUICE_HOME/token"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
