"""Helpers of the listener tests: the header deadline they run with, a raw HTTP exchange, RSS."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SLOW", "TOKEN", "Listener", "exchange", "request_head", "rss_kib"]

SLOW = 1.0  # the header deadline these tests run with (the default is 10 s)

TOKEN = "security-test-token"


@dataclass(frozen=True)
class Listener:
    """One listener and a request it serves: `method path` with `headers` (Host is added by `exchange`)."""

    name: str
    port: int
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()


def exchange(port: int, head: bytes, body: bytes = b"", timeout: float = 30.0) -> tuple[int, bytes]:
    """Send `head` + `body` on a fresh connection; the answer's status (0: closed without one) and raw bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        with contextlib.suppress(OSError):  # the server may answer and close before taking the whole body
            s.sendall(head + body)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
    status = int(data[9:12]) if data.startswith(b"HTTP/1.") and data[9:12].isdigit() else 0
    return status, data


def request_head(listener: Listener, host: str | None = None, extra: dict[str, str] | None = None) -> bytes:
    """The request line and headers for `listener` (Host defaults to 127.0.0.1:<port>)."""
    lines = [f"{listener.method} {listener.path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{listener.port}'}"]
    lines += [f"{k}: {v}" for k, v in listener.headers]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def rss_kib() -> int:
    """This process's resident set size in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
