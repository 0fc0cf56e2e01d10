"""Load-generator benchmark: coordinated omission. Our open-loop stress-test vs closed-loop generators.

Run: `.venv/bin/python bench/bench_stress.py [--duration 10] [--rps 20]`.
A test server (its own process) answers at once except that it stalls for the second [2, 3) of every
5 s (a GC pause, a lock, a noisy neighbour): requests that arrive then wait until the stall ends. A
request arriving at a random time is delayed in 20% of cases, so the true p95 is ~750 ms and p99 ~950 ms.

Peers, measured in the same run against the same server:
- `components.stress_test` (open loop: sends on the clock, latency from the scheduled time);
- a closed-loop generator at the same target rate (waits for each answer before sending the next, measures
  from the actual send: the classic way, as in `ab` or a `for` loop with a client);
- `wrk` with one connection (closed loop, as fast as it can), when installed.
Closed-loop generators send nothing while the server stalls, so the stall shows as ONE slow request.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SERVER = r"""
import sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
T0 = time.monotonic()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def _answer(self):
        n = int(self.headers.get("content-length") or 0)
        self.rfile.read(n)
        phase = (time.monotonic() - T0) % 5.0
        if 2.0 <= phase < 3.0:
            time.sleep(3.0 - phase)
        body = b'{"predictions": [0]}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_POST = _answer
    do_GET = _answer
s = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.daemon_threads = True
s.serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values), -(-int(q * len(values)) // 100)) - 1)] if values else 0.0


def closed_loop(url: str, rps: float, duration: float, body: bytes) -> list[float]:
    """Send one request per slot, but only after the previous answer; latency from the actual send (ms)."""
    latencies = []
    with httpx.Client(timeout=10) as client:
        start = time.perf_counter()
        for i in range(round(rps * duration)):
            delay = start + i / rps - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent = time.perf_counter()
            client.post(url, content=body, headers={"content-type": "application/json"})
            latencies.append((time.perf_counter() - sent) * 1000)
    return latencies


def run_wrk(base: str, duration: float, body: bytes) -> dict[str, float] | None:
    """wrk, one thread, one connection; its own latency percentiles (ms)."""
    if shutil.which("wrk") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body.decode())}\n')
        f.write('wrk.headers["Content-Type"] = "application/json"\n')
        f.write("done = function(summary, latency, requests)\n")
        f.write(
            '  io.write(string.format("JSON {\\"n\\": %d, \\"p50\\": %f, \\"p95\\": %f, \\"p99\\": %f, '
            '\\"max\\": %f}\\n", summary.requests, latency:percentile(50) / 1000, '
            "latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))\nend\n"
        )
    out = subprocess.run(
        ["wrk", "-t1", "-c1", f"-d{int(duration)}s", "-s", f.name, f"{base}/invocations"],
        capture_output=True, text=True, timeout=duration + 30,
    )  # fmt: skip
    Path(f.name).unlink()
    match = re.search(r"^JSON (.*)$", out.stdout, re.M)
    return json.loads(match.group(1)) if match else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per generator (multiple of 5)")
    parser.add_argument("--rps", type=float, default=20.0)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from components.stress_test import payloads, stress_test

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        body = payloads("breast_cancer")[0]
        ours = stress_test(url=base, rps=args.rps, duration=args.duration, p99_latency_ms=1e9, max_error_rate=1)
        closed = closed_loop(f"{base}/invocations", args.rps, args.duration, body)
        wrk = run_wrk(base, args.duration, body)
    finally:
        server.terminate()
        server.wait(10)
    r = ours.report
    rows = [
        ("stress_test (open loop)", r["requests"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"]),
        (
            "closed loop, same rate",
            len(closed),
            _pct(closed, 50),
            _pct(closed, 95),
            _pct(closed, 99),
            max(closed),
        ),
    ]
    if wrk is not None:
        rows.append(("wrk -c1 (closed loop)", int(wrk["n"]), wrk["p50"], wrk["p95"], wrk["p99"], wrk["max"]))
    print(f"## Load generator: a 1 s stall every 5 s, {args.rps:g} req/s target, {args.duration:g} s each\n")
    print("Expected for requests arriving at random times: 20% delayed, p95 ~750 ms, p99 ~950 ms.\n")
    print("| generator | requests | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | p99 vs ours |")
    print("|---|---|---|---|---|---|---|")
    for name, n, p50, p95, p99, top in rows:
        ratio = r["p99_ms"] / p99 if p99 > 0 else float("inf")
        print(f"| {name} | {n} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {top:.1f} | ours is {ratio:.1f}x |")
    print(
        "\nClosed-loop generators stop sending while the server stalls, so the stall is one sample among"
        " thousands and their p99 misses it; the open-loop generator keeps its schedule and sees it."
    )


if __name__ == "__main__":
    main()
