"""A local stand-in for Slack's Web API that records what Slack would receive.

Slack's servers cannot exist on one machine, so `sluice up` runs this sink unless `SLUICE_SLACK_API_URL`
points elsewhere: it answers `chat.postMessage` as Slack does (`{"ok": true, "channel", "ts"}`) and appends
each message, with the channel and a hash of the token (never the token), to
`SLUICE_HOME/slack/messages.jsonl`, where `sluice demo` and the UI read them.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from components.httpguard import loads_bounded
from sluicegate.part import StackContext
from sluicegate.web import ThreadedServer

__all__ = ["SlackSinkPart", "read_messages"]

#: Largest message accepted (Slack truncates a message's text at 40,000 characters).
_MAX_BODY = 256 * 1024


def read_messages(home: Path) -> list[dict[str, Any]]:
    """Every message the sink recorded under `home`, oldest first."""
    path = home / "slack" / "messages.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class SlackSinkPart:
    """The `slack-sink` Part: a recording Slack Web API on 127.0.0.1 (skipped when a real one is configured)."""

    name = "slack-sink"

    def __init__(self) -> None:
        self._server: ThreadedServer | None = None
        self._file: Path | None = None
        self._lock = threading.Lock()
        self._count = 0
        self._url = ""

    async def _post_message(self, request: Request) -> JSONResponse:
        raw = (await request.body()).decode(errors="replace")
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body: dict[str, Any] = loads_bounded(raw or "{}")
            except ValueError:
                return JSONResponse({"ok": False, "error": "invalid_json"})  # Slack answers 200 with ok: false
            if not isinstance(body, dict):
                return JSONResponse({"ok": False, "error": "invalid_json"})
        else:
            body = {k: v[0] for k, v in parse_qs(raw).items()}
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or str(body.pop("token", ""))
        if not token:
            return JSONResponse({"ok": False, "error": "not_authed"})
        if not body.get("channel"):
            return JSONResponse({"ok": False, "error": "channel_not_found"})
        ts = f"{time.time():.6f}"
        record = {"ts": ts, "channel": body["channel"], "token_sha256": hashlib.sha256(token.encode()).hexdigest()[:12]}
        record.update({k: v for k, v in body.items() if k != "channel"})
        if self._file is None:
            return JSONResponse({"ok": False, "error": "not_started"})
        with self._lock, self._file.open("a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
            self._count += 1
        return JSONResponse({"ok": True, "channel": body["channel"], "ts": ts})

    async def _auth_test(self, request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "team": "local-sink", "user": "sluicegate"})

    def start(self, ctx: StackContext) -> dict[str, Any]:
        """Start the sink unless SLUICE_SLACK_API_URL is set; points the stack's Slack triggers at it."""
        if os.environ.get("SLUICE_SLACK_API_URL"):
            return {}
        self._file = ctx.settings.home / "slack" / "messages.jsonl"
        self._file.parent.mkdir(parents=True, exist_ok=True)
        routes: list[BaseRoute] = [
            Route("/chat.postMessage", self._post_message, methods=["POST"]),
            Route("/auth.test", self._auth_test, methods=["POST", "GET"]),
        ]
        self._server = ThreadedServer(Starlette(routes=routes), "slack-sink", max_body=_MAX_BODY)
        port = self._server.start("127.0.0.1", 0)
        self._url = f"http://127.0.0.1:{port}"
        os.environ["SLUICE_SLACK_API_URL"] = self._url
        return {"slack": self._url}

    def stop(self) -> None:
        """Stop the sink."""
        if self._server is not None:
            self._server.stop()
        if self._url and os.environ.get("SLUICE_SLACK_API_URL") == self._url:
            del os.environ["SLUICE_SLACK_API_URL"]
        self._server = None

    def status(self) -> dict[str, Any]:
        """Where the sink listens and how many messages it recorded."""
        return {"url": self._url or "external", "messages": self._count}

    def routes(self) -> list[BaseRoute]:
        """No API routes."""
        return []
