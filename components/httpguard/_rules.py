"""The rules every local listener applies before it reads a request: Host, Origin, body size, JSON depth.

Dependency-free (standard library only) so both the `sluicegate` runtime and the `components` processes
(model server, relay), which may not import `sluicegate`, share one definition. Called by the ASGI
middleware of `components.httpguard._asgi`, by the `http.server` handlers of the EventSources and the relay,
and by the traffic splitter.

A listener bound to a loopback address answers only requests whose `Host` names the loopback
(`127.0.0.1`, `localhost`, `[::1]`) with the listener's own port: a web page that rebinds its own name to
127.0.0.1 (DNS rebinding) sends its own name as `Host` and is refused. A listener bound to any other
address (a pod on a cluster, reached through a Service name) skips the Host rule. Everywhere, a request that
carries an `Origin` must come from the origin it is addressed to (`Origin: null` and other sites are refused),
so a page on another site cannot make the browser POST into a listener.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "HEADER_TIMEOUT",
    "LOOPBACK_HOSTS",
    "MAX_JSON_DEPTH",
    "Refusal",
    "check_head",
    "is_loopback_address",
    "json_depth",
    "loads_bounded",
]

#: The names a loopback listener answers to.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
#: Deepest JSON nesting any listener parses (Kubernetes objects stay far below; Python's parser recurses).
MAX_JSON_DEPTH = 64
#: Seconds a client gets to send a complete request head; slower clients are disconnected
#: (`SLUICE_HEADER_TIMEOUT` overrides it, for tests of slow clients).
HEADER_TIMEOUT = float(os.environ.get("SLUICE_HEADER_TIMEOUT") or 10.0)

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused before its body is read: HTTP status and a one-line reason with the fix."""

    status: int
    reason: str


def is_loopback_address(address: str) -> bool:
    """Whether a bound address is a loopback one (`127.x.x.x`, `::1`, `localhost`)."""
    return address.startswith("127.") or address in ("::1", "localhost")


def _split_host(host: str) -> tuple[str, str | None]:
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", rest[1:] if rest.startswith(":") else None
    name, sep, port = host.rpartition(":")
    return (name, port) if sep else (host, None)


def _host_ok(host: str, port: int) -> bool:
    name, given = _split_host(host)
    if name not in LOOPBACK_HOSTS:
        return False
    return given == str(port) if given is not None else port == 80


def _origin_ok(origin: str, host: str) -> bool:
    scheme, sep, rest = origin.strip().lower().partition("://")
    if not sep or scheme not in ("http", "https") or not host:
        return False  # `null` (sandboxed frames, files) and anything that is not a web origin
    default = "80" if scheme == "http" else "443"
    o_name, o_port = _split_host(rest.rstrip("/"))
    h_name, h_port = _split_host(host)
    return o_name == h_name and (o_port or default) == (h_port or "80")


def check_head(
    headers: dict[str, str], local_address: str, local_port: int, max_body: int | None = None
) -> Refusal | None:
    """Whether a request head passes the rules; the `Refusal` to answer if it does not.

    Args:
        headers: the request's headers, names lower-cased.
        local_address: the address the listener's socket is bound to.
        local_port: the listener's port.
        max_body: the largest body accepted (None: no body limit checked here).
    """
    host = headers.get("host", "")
    if is_loopback_address(local_address) and not _host_ok(host, local_port):
        return Refusal(
            403,
            f"Host {host or '(none)'!r} is not this listener's: it answers only 127.0.0.1:{local_port}, "
            f"localhost:{local_port} or [::1]:{local_port}",
        )
    origin = headers.get("origin")
    if origin is not None and not _origin_ok(origin, host):
        return Refusal(403, f"cross-origin request from {origin!r} refused: only same-origin requests are accepted")
    if max_body is not None:
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return Refusal(400, f"bad Content-Length {declared!r}: send the body's size in bytes")
            if int(declared) > max_body:
                return Refusal(413, f"request body of {int(declared)} bytes is over this listener's {max_body}")
    return None


def json_depth(raw: bytes) -> int:
    """The deepest nesting of `[`/`{` in a JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads_bounded(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` that refuses nesting deeper than `max_depth` with ValueError (never RecursionError)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    depth = json_depth(data)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} levels deep; the limit is {max_depth}")
    try:
        return json.loads(data)
    except RecursionError as e:  # a guard behind the guard: never let the parser's recursion escape
        raise ValueError(f"JSON nested too deeply; the limit is {max_depth}") from e
