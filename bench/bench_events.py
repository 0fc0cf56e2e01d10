"""Events benchmark: signed GitHub webhooks accepted durably per second, and push-to-Workflow latency.

Run: `.venv/bin/python bench/bench_events.py [--requests 600] [--concurrency 8] [--rate 20] [--seconds 10]`.
Starts the events part over a temp store with the project's EventSources and Sensors, then:
1. throughput: `--requests` signed push webhooks from `--concurrency` keep-alive clients; every 200 means
   the event is committed to SQLite (synchronous=FULL). The peer, measured in the same run with the same
   client, is a bare stdlib HTTP server answering 200 without reading secrets, checking HMACs or storing;
   the ratio says what the checks and the durable journal cost over the HTTP floor. Also: how fast the
   sensor controller works through that burst (from the first request to the last outcome written).
2. latency: a steady `--rate` pushes/s for `--seconds` s touching `params.yaml`; time from sending the
   webhook to the `project-pipeline` Workflow existing in the store, and (with the workflow controller) to
   its first step running. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import events  # noqa: E402
from sluicegate.config import Settings  # noqa: E402
from sluicegate.eventing import EventsPart  # noqa: E402
from sluicegate.secrets import SecretStore  # noqa: E402
from sluicegate.stack import StackContext  # noqa: E402
from sluicegate.store import Store  # noqa: E402

SECRET = "bench-secret"
FIRST_STEP = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "WorkflowTemplate",
    "metadata": {"name": "project-pipeline", "namespace": "sluicegate"},
    "spec": {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "git-repo"}, {"name": "git-revision"}, {"name": "build-target"}]},
        "templates": [{"name": "main", "container": {"image": "busybox:1.36", "command": ["true"]}}],
    },
}


def payload(sha: str, files: list[str]) -> bytes:
    commit = {"id": sha, "message": "bench", "added": [], "modified": files, "removed": []}
    body = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": sha,
        "deleted": False,
        "repository": {"full_name": "b/b", "clone_url": "https://x/b.git", "default_branch": "main"},
        "pusher": {"name": "bench"},
        "commits": [commit],
        "head_commit": commit,
    }
    return json.dumps(body).encode()


def headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def blast(url: str, n: int, concurrency: int) -> tuple[float, int]:
    """Requests per second and the number of non-200 answers."""
    bodies = [payload(uuid.uuid4().hex + "00000000", ["README.md"]) for _ in range(n)]
    failures = 0
    lock = threading.Lock()

    def worker(chunk: list[bytes]) -> None:
        nonlocal failures
        with httpx.Client(timeout=30) as client:
            for body in chunk:
                if client.post(url, content=body, headers=headers(body)).status_code != 200:
                    with lock:
                        failures += 1

    chunks = [bodies[i::concurrency] for i in range(concurrency)]
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, chunks))
    return n / (time.perf_counter() - start), failures


class _Floor(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "8")
        self.end_headers()
        self.wfile.write(b"success\n")


def steady(url: str, store: Store, rate: float, seconds: float, engine: bool) -> tuple[list[float], list[float]]:
    """Latencies (ms) send -> Workflow stored, and send -> first step running (engine only)."""
    sent: dict[str, float] = {}
    created: dict[str, float] = {}
    running: dict[str, float] = {}
    names: dict[str, str] = {}
    done = threading.Event()

    def watch() -> None:
        since = store.head()
        while not done.is_set():
            for change in store.wait(since, 0.2, kinds=("Workflow",)):
                since = max(since, change.seq)
                now = time.perf_counter()
                wf = store.try_get("Workflow", change.namespace, change.name)
                if wf is None:
                    continue
                if change.name not in names:
                    params = {p["name"]: p.get("value") for p in wf["spec"]["arguments"]["parameters"]}
                    names[change.name] = str(params.get("git-revision"))
                    created[names[change.name]] = now
                nodes = (wf.get("status") or {}).get("nodes") or {}
                if any(n.get("type") == "Pod" and n.get("phase") in ("Running", "Succeeded") for n in nodes.values()):
                    running.setdefault(names[change.name], now)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    total = int(rate * seconds)
    start = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        for i in range(total):
            target = start + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sha = f"{i:08d}" + uuid.uuid4().hex
            body = payload(sha, ["params.yaml"])
            sent[sha] = time.perf_counter()
            client.post(url, content=body, headers=headers(body))
    deadline = time.perf_counter() + 60
    want = running if engine else created
    while time.perf_counter() < deadline and len(want) < total:
        time.sleep(0.05)
    done.set()
    watcher.join()
    lat_created = [(created[s] - sent[s]) * 1000 for s in sent if s in created]
    lat_running = [(running[s] - sent[s]) * 1000 for s in sent if s in running]
    return lat_created, lat_running


def drain(store: Store, timeout: float = 300.0) -> float:
    """Wait until the sensor controller has processed every event; the time it finished."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if not any(e["status"]["phase"] == "Pending" for e in store.list("Event")):
            return time.perf_counter()
        time.sleep(0.02)
    raise SystemExit("events still pending after the throughput run")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=600)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rate", type=float, default=20.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--no-engine", action="store_true", help="do not start the workflow controller")
    args = p.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-events-"))
    store = Store(home / "store.db")
    secrets = SecretStore(home)
    secrets.set("github-webhook", "secret", SECRET)
    for doc in events.manifests():
        if doc["kind"] in ("EventSource", "Sensor"):
            store.apply(doc)
    ctx = StackContext(settings=Settings(home=home), store=store, secrets=secrets, token="t")
    part = EventsPart(port_map={events.GITHUB_PORT: 0, events.MLFLOW_PORT: 0, events.OUTCOME_PORT: 0}, relay=False)
    part.start(ctx)
    floor = ThreadingHTTPServer(("127.0.0.1", 0), _Floor)
    floor.daemon_threads = True
    threading.Thread(target=floor.serve_forever, daemon=True).start()
    controller = None
    try:
        url = part.url_of("github", "push")
        start = time.perf_counter()
        ours, failed = blast(url, args.requests, args.concurrency)
        drained = drain(store)
        processed = args.requests / (drained - start)
        peer, _ = blast(f"http://127.0.0.1:{floor.server_address[1]}/push", args.requests, args.concurrency)
        engine = False
        if not args.no_engine:
            try:
                from sluicegate.engine import WorkflowController

                store.apply(FIRST_STEP)
                controller = WorkflowController()
                controller.start(ctx)
                engine = True
            except Exception as e:  # the engine is another helper's part; measure without it
                print(f"(workflow controller not available: {e})", file=sys.stderr)
        created, running = steady(url, store, args.rate, args.seconds, engine)
    finally:
        if controller is not None:
            controller.stop()
        part.stop()
        floor.shutdown()
    print("| measure | value | peer (bare HTTP 200) | ratio |")
    print("|---|---|---|---|")
    print(f"| signed webhooks accepted durably (c={args.concurrency}) | {ours:.0f}/s ({failed} failed) "
          f"| {peer:.0f}/s | {ours / peer:.2f} |")  # fmt: skip
    print(f"| events through the Sensors (received -> outcome written) | {processed:.0f}/s | | |")
    n = int(args.rate * args.seconds)
    if created:
        print(f"| push -> Workflow stored at {args.rate:.0f}/s ({len(created)}/{n}) | "
              f"p50 {statistics.median(created):.1f} ms, p99 {pct(created, 0.99):.1f} ms | | |")  # fmt: skip
    if running:
        print(f"| push -> first step running at {args.rate:.0f}/s ({len(running)}/{n}) | "
              f"p50 {statistics.median(running):.1f} ms, p99 {pct(running, 0.99):.1f} ms | | |")  # fmt: skip


if __name__ == "__main__":
    main()
