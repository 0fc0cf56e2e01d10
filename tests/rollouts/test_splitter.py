"""The traffic splitter routes by weight, switches atomically, drains old backends and survives bad clients."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from sluicegate.rollouts import Backend, Splitter

pytestmark = pytest.mark.slow


def _backend(name: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The head and the body leave in two writes: with Nagle's algorithm the body waits for the ACK of the
        # head, which the splitter delays by 40 ms, as on any keep-alive connection (write-write-read).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if self.path == "/slow":
                time.sleep(1.0)
            answer = name.encode() + b":" + body
            self.send_response(200)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # shutdown() returns once serve_forever looks again: every 0.5 s by default, every 50 ms here
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@pytest.fixture
def pair() -> Iterator[tuple[Splitter, Backend, Backend]]:
    a, b = _backend("stable"), _backend("canary")
    splitter = Splitter("test")
    stable, canary = Backend("127.0.0.1", a.server_address[1]), Backend("127.0.0.1", b.server_address[1])
    try:
        yield splitter, stable, canary
    finally:
        splitter.stop()
        a.shutdown()
        b.shutdown()


def _shares(url: str, n: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    with httpx.Client() as client:
        for i in range(n):
            r = client.post(url + "/x", content=str(i).encode())
            assert r.status_code == 200
            assert r.text.endswith(f":{i}")  # the body went through unchanged
            seen[r.headers["x-sluice-backend"]] += 1
    return seen


def test_splitter_routes_by_weight(pair: tuple[Splitter, Backend, Backend]) -> None:
    splitter, stable, canary = pair
    splitter.set_route(stable, canary, 0)
    assert _shares(splitter.url, 50) == {"stable": 50}
    splitter.set_route(stable, canary, 100)
    assert _shares(splitter.url, 50) == {"canary": 50}
    splitter.set_route(stable, canary, 30)
    shares = _shares(splitter.url, 400)
    assert 60 <= shares["canary"] <= 180, shares  # 30% of 400 = 120, binomial sd ~ 9


def test_splitter_without_backend_answers_503(pair: tuple[Splitter, Backend, Backend]) -> None:
    splitter, _, _ = pair
    assert httpx.post(splitter.url + "/x", content=b"1").status_code == 503


def test_splitter_switch_under_load_fails_no_request(pair: tuple[Splitter, Backend, Backend]) -> None:
    splitter, stable, canary = pair
    splitter.set_route(stable, canary, 0)
    codes: Counter[int] = Counter()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client() as client:
            while not stop.is_set():
                codes[client.post(splitter.url + "/x", content=b"1").status_code] += 1

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()

    def answered_more(n: int) -> None:
        """Waits until n more requests were answered (a count, not a time window)."""
        target = sum(codes.values()) + n
        deadline = time.monotonic() + 60
        while sum(codes.values()) < target and time.monotonic() < deadline:
            time.sleep(0.005)

    for weight in (10, 50, 100, 0, 50):
        splitter.set_route(stable, canary, weight)
        answered_more(6)
    splitter.set_route(canary, None, 0)  # promotion: the canary becomes the stable
    splitter.drain(stable)
    answered_more(6)
    stop.set()
    for t in threads:
        t.join()
    assert set(codes) == {200} and sum(codes.values()) >= 36


def test_splitter_drain_waits_for_in_flight(pair: tuple[Splitter, Backend, Backend]) -> None:
    splitter, stable, canary = pair
    splitter.set_route(stable, None, 0)
    result: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: result.append(httpx.post(splitter.url + "/slow", content=b"s")))
    slow.start()
    while stable.in_flight == 0:
        time.sleep(0.01)
    splitter.set_route(canary, None, 0)
    began = time.monotonic()
    splitter.drain(stable)
    assert time.monotonic() - began > 0.5  # drain waited for the slow request
    slow.join()
    assert result[0].status_code == 200 and result[0].text == "stable:s"


def test_splitter_chunked_and_malformed_requests(pair: tuple[Splitter, Backend, Backend]) -> None:
    splitter, stable, _ = pair
    splitter.set_route(stable, None, 0)
    r = httpx.post(splitter.url + "/x", content=iter([b"ab", b"cd"]))  # chunked request body
    assert r.status_code == 200 and r.text == "stable:abcd"
    with socket.create_connection(("127.0.0.1", splitter.port)) as s:
        s.sendall(b"POST /x HTTP/1.1\r\nhost: 127.0.0.1:%d\r\ncontent-length: nope\r\n\r\n" % splitter.port)
        assert s.recv(100).startswith(b"HTTP/1.1 400")
    assert httpx.post(splitter.url + "/x", content=b"ok").text == "stable:ok"


def test_splitter_expect_100_continue(pair: tuple[Splitter, Backend, Backend]) -> None:
    splitter, stable, _ = pair
    splitter.set_route(stable, None, 0)
    with socket.create_connection(("127.0.0.1", splitter.port)) as s:
        head = b"POST /x HTTP/1.1\r\nhost: localhost:%d\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n"
        s.sendall(head % splitter.port)
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(b"hi")
        answer = b""
        while not answer.endswith(b"stable:hi"):
            answer += s.recv(1000)
        assert answer.startswith(b"HTTP/1.1 200")


def _failing_backend() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The head and the body leave in two writes: with Nagle's algorithm the body waits for the ACK of the
        # head, which the splitter delays by 40 ms, as on any keep-alive connection (write-write-read).
        disable_nagle_algorithm = True
        seen = 0

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            Handler.seen += 1
            self.send_response(500)
            self.send_header("content-length", "14")
            self.end_headers()
            self.wfile.write(b"injected fault")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handler = Handler  # type: ignore[attr-defined]
    # shutdown() returns once serve_forever looks again: every 0.5 s by default, every 50 ms here
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def test_canary_5xx_on_scoring_is_retried_on_stable() -> None:
    good, bad = _backend("stable"), _failing_backend()
    splitter = Splitter("retry")
    try:
        splitter.set_route(
            Backend("127.0.0.1", good.server_address[1]), Backend("127.0.0.1", bad.server_address[1]), 100
        )
        r = httpx.post(splitter.url + "/invocations", content=b"7")
        assert r.status_code == 200 and r.text == "stable:7"
        assert r.headers["x-sluice-backend"] == "stable; retried-from=canary"
        assert bad.handler.seen == 1  # the canary did get the request: its metrics count the failure
        other = httpx.post(splitter.url + "/admin", content=b"7")  # not scoring: not retried
        assert other.status_code == 500 and other.headers["x-sluice-backend"] == "canary"
    finally:
        splitter.stop()
        good.shutdown()
        bad.shutdown()
