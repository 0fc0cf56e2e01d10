"""Each answer's head and body leave in one send, and nothing written alone is ever held back.

On a raw socket to the real server (keep-alive, as load generators and proxies talk to it): a scoring answer
arrives whole in the first read; answers without a body (HEAD) and errors uvicorn writes by itself still
arrive; several requests on one connection each get their own complete answer, in order.
"""

from __future__ import annotations

import json
import socket

from modelkit import Server, breast_cancer

BODY = json.dumps({"dataframe_records": breast_cancer()[0].iloc[:2].to_dict(orient="records")}).encode()


def _connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _request(port: int, method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def _read_answer(sock: socket.socket, buffer: bytearray, head_only: bool = False) -> tuple[int, bytes]:
    """One complete answer from `sock` (status, body); what follows it stays in `buffer`."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a complete head: {bytes(buffer)[:200]!r}"
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    length = 0 if head_only else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the whole body"
        rest += chunk
    buffer[:] = rest[length:]
    return int(lines[0].split()[1]), rest[:length]


def test_scoring_answer_arrives_whole_in_one_read(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(_request(server.port, "POST", "/invocations", BODY))
        first = sock.recv(65536)
        head, _, body = first.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = next(int(v) for k, _, v in (h.partition(b": ") for h in head.split(b"\r\n")) if k == b"content-length")
        assert len(body) == length and len(json.loads(body)["predictions"]) == 2


def test_answers_on_one_connection_come_complete_and_in_order(server: Server) -> None:
    with _connect(server) as sock:
        buffer = bytearray()
        sock.sendall(_request(server.port, "POST", "/invocations", BODY))
        assert _read_answer(sock, buffer)[0] == 200
        sock.sendall(_request(server.port, "HEAD", "/health"))  # a head and no body: nothing joins it
        assert _read_answer(sock, buffer, head_only=True) == (200, b"")
        sock.sendall(
            _request(server.port, "GET", "/health")
            + _request(server.port, "GET", "/nope")
            + _request(server.port, "POST", "/invocations", BODY)
        )
        assert _read_answer(sock, buffer) == (200, b"\n")
        status, body = _read_answer(sock, buffer)
        assert status == 404 and json.loads(body)["error_code"] == "ENDPOINT_NOT_FOUND"
        status, body = _read_answer(sock, buffer)
        assert status == 200 and len(json.loads(body)["predictions"]) == 2
        assert not buffer


def test_error_the_http_layer_writes_alone_still_arrives(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"NOT A REQUEST\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        assert received.startswith(b"HTTP/1.1 400")
