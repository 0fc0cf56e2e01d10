"""Every local listener answers hostile requests with a 4xx (or drops a slow client), never a 5xx or a hang.

Bounded fuzz over the API, the UI, an EventSource, the MLflow relay, the model server, the traffic splitter
and the Slack sink: oversize bodies (declared and streamed), deep JSON nesting, invalid UTF-8, foreign Host and
Origin headers, and clients too slow to send their request head. The process's RSS must not grow by more than
`RSS_BOUND_KIB` over the whole run (a 50 MB body must not be buffered anywhere).
"""

from __future__ import annotations

import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from listenerkit import SLOW, Listener, exchange, request_head, rss_kib

NAMES = ["api", "ui", "eventsource", "relay", "model-server", "splitter", "slack-sink"]
RSS_BOUND_KIB = 96 * 1024  # the whole module (hypothesis and the parsers' own caches included)
BODY_BOUND_KIB = 32 * 1024  # one refused 50 MB body: at most the largest limit (16 MiB) is ever held
BIG = 50 * 1024 * 1024


def _post(listener: Listener, body: bytes, host: str | None = None, **extra: str) -> int:
    head = request_head(listener, host, {"Content-Length": str(len(body)), "Connection": "close", **extra})
    return exchange(listener.port, head, body)[0]


@pytest.fixture(scope="module", autouse=True)
def rss_bound(listeners: dict[str, Listener]) -> object:
    """Measure RSS around the whole module (after the listeners have started)."""
    before = rss_kib()
    yield
    grown = rss_kib() - before
    assert grown < RSS_BOUND_KIB, f"RSS grew by {grown} KiB over the fuzz"


@pytest.mark.parametrize("name", NAMES)
def test_foreign_host_is_refused_before_anything_else(listeners: dict[str, Listener], name: str) -> None:
    listener = listeners[name]
    for host in ("evil.example", f"evil.example:{listener.port}", "127.0.0.1:1", f"127.0.0.1.nip.io:{listener.port}"):
        assert _post(listener, b"{}", host=host) == 403, host


@pytest.mark.parametrize("name", NAMES)
def test_foreign_origin_is_refused(listeners: dict[str, Listener], name: str) -> None:
    listener = listeners[name]
    for origin in ("http://evil.example", "null", f"http://localhost:{listener.port + 1}"):
        assert _post(listener, b"{}", Origin=origin) == 403, origin


@pytest.mark.parametrize("name", NAMES)
def test_declared_huge_body_is_refused_at_once(listeners: dict[str, Listener], name: str) -> None:
    listener = listeners[name]
    head = request_head(listener, extra={"Content-Length": str(10 * 1024**3)})
    status, _ = exchange(listener.port, head, b"", timeout=5)  # no body follows: the answer must not wait for it
    assert status == 413


@pytest.mark.parametrize("name", NAMES)
def test_streamed_oversize_body_is_cut_off(listeners: dict[str, Listener], name: str) -> None:
    listener = listeners[name]
    before = rss_kib()
    head = request_head(listener, extra={"Transfer-Encoding": "chunked"})
    chunk = b"%x\r\n%s\r\n" % (1024 * 1024, b"x" * 1024 * 1024)
    with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as s:
        s.sendall(head)
        sent = 0
        try:
            while sent < BIG:
                s.sendall(chunk)
                sent += 1024 * 1024
        except OSError:
            pass  # the listener answered and closed: exactly what should happen
        answer = s.recv(100)
    assert answer[9:12] in (b"411", b"413"), answer
    assert rss_kib() - before < BODY_BOUND_KIB


@pytest.mark.parametrize("name", NAMES)
def test_deeply_nested_json_is_a_client_error(listeners: dict[str, Listener], name: str) -> None:
    status = _post(listeners[name], b"[" * 100_000 + b"]" * 100_000)
    assert 200 <= status < 500 and status != 0


@pytest.mark.parametrize("name", NAMES)
def test_slow_request_head_is_dropped(listeners: dict[str, Listener], name: str) -> None:
    listener = listeners[name]
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", listener.port), timeout=SLOW * 10) as s:
        s.sendall(request_head(listener)[:20])  # part of a head, then nothing
        closed = s.recv(100)
    assert closed == b"" or closed[9:10] == b"4"
    assert time.monotonic() - began < SLOW * 8


@pytest.mark.parametrize("name", NAMES)
def test_fuzzed_bodies_never_give_a_server_error(listeners: dict[str, Listener], name: str) -> None:
    listener = listeners[name]

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        body=st.one_of(
            st.binary(max_size=512),
            st.binary(max_size=64).map(lambda b: b'{"text": "' + b + b'\xff\xfe"}'),  # invalid UTF-8 in JSON
            st.recursive(
                st.none() | st.integers() | st.text(max_size=8), lambda c: st.lists(c, max_size=3), max_leaves=20
            ).map(lambda v: repr(v).encode()),
        ),
        content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
    )
    def one(body: bytes, content_type: str) -> None:
        status = _post(listener, body, **{"Content-Type": content_type})
        assert 0 < status < 500, (status, body[:80])

    one()


@pytest.mark.parametrize("name", NAMES)
def test_request_head_dribbled_a_byte_at_a_time_is_cut_off(listeners: dict[str, Listener], name: str) -> None:
    # A byte every SLOW/4 seconds never lets one read wait SLOW: only a deadline on the whole head stops it.
    listener = listeners[name]
    head = request_head(listener)
    began, sent = time.monotonic(), 0
    with socket.create_connection(("127.0.0.1", listener.port), timeout=SLOW * 10) as s:
        try:
            for byte in head[:-4]:  # never the blank line that ends the head
                s.sendall(bytes([byte]))
                sent += 1
                time.sleep(SLOW / 4)
                if time.monotonic() - began > SLOW * 8:
                    break
            closed = s.recv(100)
        except OSError:
            closed = b""
    assert closed == b"" or closed[9:10] == b"4"
    assert time.monotonic() - began < SLOW * 6, f"{sent} bytes over {time.monotonic() - began:.1f}s"
