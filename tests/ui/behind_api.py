"""The UI behind the stack's real API server (listener guard, bearer middleware), for the UI and security tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.part import StackContext
from sluicegate.secrets import SecretStore
from sluicegate.store import Store
from sluicegate.ui import UiPart

__all__ = ["stack_context", "ui_behind_api"]


def stack_context(home: Path, token: str) -> StackContext:
    """A stack context over a new store in `home`, with the API on a free port and `token` as the stack's token."""
    return StackContext(Settings(home=home, api_port=0), Store(home / "s.db"), SecretStore(home), token)


@contextmanager
def ui_behind_api(ctx: StackContext) -> Iterator[tuple[httpx.Client, ApiServer]]:
    """Start the UI behind a new API server; a client of it that does not follow redirects. Stops the server."""
    part, api = UiPart(), ApiServer()
    api.attach([part])
    ctx.endpoints.update(api.start(ctx))
    part.start(ctx)
    try:
        with httpx.Client(base_url=api.url, follow_redirects=False, timeout=30) as client:
            yield client, api
    finally:
        api.stop()
