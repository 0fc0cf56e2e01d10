"""The httptools variant of the guarded uvicorn protocol (a module of its own: httptools is optional).

Imported by `components.httpguard._uvicorn.guarded_http_protocol` when httptools is installed.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from components.httpguard._deadline import HeaderDeadline

__all__ = ["GuardedHttpToolsProtocol"]


class GuardedHttpToolsProtocol(HeaderDeadline, HttpToolsProtocol):
    """httptools with a header read deadline."""
