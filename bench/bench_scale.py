"""Scale benchmark: a stack holding 10,000 finished workflows — list pages, the UI list, the store's size.

Run: `.venv/bin/python bench/bench_scale.py [--workflows 10000]`. A fresh store is filled with finished
workflows of five steps each (as the pipeline's are), then served by the real API and UI on 127.0.0.1:
- `GET /api/v1/workflows/{ns}?listOptions.limit=50` (first pages and pages deep into the list, following
  `continue`) p50/p99 over 200 requests, against the peer measured in the same run: the same API asked for
  the whole list (what every list cost before pages read only their rows);
- the UI's workflow list page (signed in) p50/p99;
- the store file's size per workflow.
Targets (issue): list p99 under 50 ms, UI list under 200 ms.

Then the engine under concurrency (in-process controller, no-op Python steps): one 5-step chain alone
against 200 such workflows submitted at once (per-step time per workflow, and wall time per step over
all 1,000), with the process's RSS before and after.

Then the same through the API: a real `sluice up --detach`, Hera's `WorkflowsService.create_workflow` for
each workflow and the API's watch stream for their ends; one chain alone (create until the watch shows it
finished, per step) against 200 created at once (first create until the last ends, per step).

Then, with `--soak-minutes N` (or SLUICE_BENCH_SOAK_MINUTES; 0, the default, skips it), a soak: a real
`sluice up --detach` takes 5-step no-op workflows through the API at a low, steady rate (`--soak-rate`
a minute; each deleted a minute after it ends by its ttlStrategy, as a long-running stack's are) while the
RSS of the process running the controller and the API is sampled; reported at start, middle and end, with
the CPU the stack used (it must stay well under half a core on a shared host).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NS = "sluicegate"


def _workflow(i: int) -> dict[str, Any]:
    name = f"model-pipeline-{i:05d}"
    nodes = {
        f"{name}-{k}": {
            "id": f"{name}-{k}",
            "name": f"{name}.{step}",
            "displayName": step,
            "type": "Pod",
            "templateName": step,
            "phase": "Succeeded",
            "startedAt": "2026-11-22T01:00:00Z",
            "finishedAt": "2026-11-22T01:00:30Z",
            "outputs": {"parameters": [{"name": "model-version", "value": str(i)}], "exitCode": "0"},
        }
        for k, step in enumerate(("build", "train", "evaluate", "stress-test", "deploy"))
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"workflows.argoproj.io/workflow-template": "project-pipeline"},
        },
        "spec": {
            "workflowTemplateRef": {"name": "project-pipeline"},
            "arguments": {"parameters": [{"name": "git-revision", "value": f"{i:040x}"}]},
        },
        "status": {
            "phase": "Succeeded",
            "startedAt": "2026-11-22T01:00:00Z",
            "finishedAt": "2026-11-22T01:02:30Z",
            "progress": "5/5",
            "nodes": nodes,
        },
    }


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000


def _timed(client: httpx.Client, path: str, params: dict[str, str] | None = None) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    r = client.get(path, params=params)
    took = time.perf_counter() - start
    r.raise_for_status()
    return took, r


def _chain(steps: int) -> dict[str, Any]:
    noop = {"name": "noop", "script": {"image": "python:3.11", "command": ["python"], "source": "print(1)"}}
    main = {"name": "main", "steps": [[{"name": f"s{i}", "template": "noop"}] for i in range(steps)]}
    return {"metadata": {"generateName": "chain-"}, "spec": {"entrypoint": "main", "templates": [main, noop]}}


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def concurrency(workflows: int = 200, steps: int = 5) -> None:
    """One chain alone vs `workflows` chains at once on the in-process engine; prints a table."""
    from sluicegate.engine.testing import LocalEngine

    with LocalEngine() as engine:
        engine.wait(engine.submit(_chain(steps)), 300)  # warm-up
        alone = []
        for _ in range(3):
            start = time.perf_counter()
            done = engine.wait(engine.submit(_chain(steps)), 300)
            assert done["status"]["phase"] == "Succeeded", done["status"]
            alone.append((time.perf_counter() - start) / steps)
        rss_before = _rss_mib()
        start = time.perf_counter()
        submitted = [engine.submit(_chain(steps)) for _ in range(workflows)]
        latencies = []
        for wf in submitted:
            done = engine.wait(wf, 1200)
            assert done["status"]["phase"] == "Succeeded", done["status"]
            latencies.append(done)
        wall = time.perf_counter() - start
        rss_after = _rss_mib()
    single = min(alone) * 1000
    per_workflow = (
        statistics.median(
            (_epoch(d["status"]["finishedAt"]) - _epoch(d["status"]["startedAt"])) / steps for d in latencies
        )
        * 1000
    )
    throughput = wall / (workflows * steps) * 1000
    print(f"\n## Engine under concurrency: {workflows} workflows of {steps} no-op steps at once (2 cores)\n")
    print("| measure | ms per step |")
    print("|---|---|")
    print(f"| one workflow alone | {single:.1f} |")
    print(f"| {workflows} at once: wall time / {workflows * steps} steps | {throughput:.1f} |")
    print(f"| {workflows} at once: median workflow duration / {steps} (seconds resolution) | {per_workflow:.0f} |")
    print()
    print(f"- wall time per step at {workflows} at once / alone: {throughput / single:.2f}x (target: within 2x)")
    print(f"- RSS of the process running the controller: {rss_before:.0f} MiB before, {rss_after:.0f} MiB after")


def concurrency_api(workflows: int = 200, steps: int = 5) -> None:
    """One chain alone vs `workflows` chains at once through `sluice up` and Hera's client; prints a table."""
    import orjson
    from hera.workflows.models import Workflow, WorkflowCreateRequest

    from bench.bench_api import ApiPath, running_stack

    def named(name: str) -> dict[str, Any]:
        doc = _chain(steps)
        doc["metadata"] = {"name": name}
        return doc

    with running_stack() as stack:
        client = ApiPath(stack)
        try:
            client.run(named("api-warm-up"))
            single = min(client.run(named(f"api-alone-{i}")) for i in range(3)) / steps * 1000
            names = {f"api-many-{i:03d}" for i in range(workflows)}
            ended: dict[str, dict[str, Any]] = {}
            with client.http.stream("GET", f"/api/v1/workflow-events/{NS}") as events:
                lines = events.iter_lines()
                start = time.perf_counter()
                for name in sorted(names):
                    client.service.create_workflow(WorkflowCreateRequest(workflow=Workflow(**named(name))))
                created = time.perf_counter() - start
                for line in lines:
                    event = orjson.loads(line)["result"]
                    obj = event["object"]
                    if event["type"] == "ERROR":
                        raise RuntimeError(f"the watch ended: {obj.get('message')}")
                    phase = (obj.get("status") or {}).get("phase")
                    if obj["metadata"]["name"] in names and phase in ("Succeeded", "Failed", "Error"):
                        if phase != "Succeeded":
                            raise RuntimeError(f"{obj['metadata']['name']} ended {phase}")
                        ended[obj["metadata"]["name"]] = obj
                        if len(ended) == workflows:
                            break
                wall = time.perf_counter() - start
        finally:
            client.close()
    load = os.getloadavg()[0]
    throughput = wall / (workflows * steps) * 1000
    median = statistics.median(
        (_epoch(d["status"]["finishedAt"]) - _epoch(d["status"]["startedAt"])) / steps for d in ended.values()
    )
    print(f"\n## Through the API: {workflows} workflows of {steps} no-op steps at once, `sluice up` + Hera (2 cores)\n")
    print("| measure | ms per step |")
    print("|---|---|")
    print(f"| one workflow alone (create until the watch shows it ended) | {single:.1f} |")
    print(f"| {workflows} at once: first create until the last ends / {workflows * steps} steps | {throughput:.1f} |")
    print(f"| {workflows} at once: median workflow duration / {steps} (seconds resolution) | {median * 1000:.0f} |")
    print()
    print(f"- wall time per step at {workflows} at once / alone: {throughput / single:.2f}x (target: within 2x)")
    print(f"- the {workflows} `create_workflow` calls took {created:.1f} s of it; load average {load:.1f}")


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _rss_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def soak(minutes: float, rate: float) -> None:
    """`rate` 5-step workflows a minute through a real stack for `minutes`; prints RSS over time."""
    from bench.bench_api import ApiPath, cpu_seconds, launcher_pid, running_stack

    with running_stack() as stack:
        client = ApiPath(stack)
        zygote = launcher_pid(stack.pid)
        warm = _chain(5)
        warm["metadata"] = {"name": "soak-warm-up"}
        client.run(warm)
        samples: list[tuple[float, float, int]] = []  # (minute, RSS MiB, workflows done)
        done, every = 0, 60.0 / rate
        start = time.monotonic()
        cpu0 = cpu_seconds(stack.pid) + cpu_seconds(zygote, reaped=True)
        next_sample = start
        try:
            while (now := time.monotonic()) - start < minutes * 60:
                if now >= next_sample:
                    samples.append(((now - start) / 60, _rss_of(stack.pid), done))
                    next_sample += 60
                doc = _chain(5)
                doc["metadata"] = {"name": f"soak-{done:06d}"}
                doc["spec"]["ttlStrategy"] = {"secondsAfterCompletion": 60}
                client.run(doc)
                done += 1
                time.sleep(max(0.0, start + done * every - time.monotonic()))
            wall = time.monotonic() - start
            samples.append((wall / 60, _rss_of(stack.pid), done))
            cpu = cpu_seconds(stack.pid) + cpu_seconds(zygote, reaped=True) - cpu0
            left = len(client.http.get(f"/api/v1/workflows/{NS}").json()["items"] or [])
            size = sum(p.stat().st_size for p in stack.home.glob("store.db*"))
        finally:
            client.close()
    middle = samples[len(samples) // 2]
    print(f"\n## Soak: {minutes:g} minutes of 5-step workflows through the API, {rate:g} a minute (2 cores)\n")
    print("| when | minute | controller + API process RSS (MiB) | workflows done |")
    print("|---|---|---|---|")
    for label, (minute, rss, count) in (("start", samples[0]), ("middle", middle), ("end", samples[-1])):
        print(f"| {label} | {minute:.1f} | {rss:.1f} | {count} |")
    rss = [r for _, r, _ in samples]
    print()
    print(f"- RSS every minute (MiB): {', '.join(f'{r:.0f}' for r in rss)}")
    print(f"- end - start: {rss[-1] - rss[0]:+.1f} MiB; highest {max(rss):.1f} MiB")
    print(f"- the stack's CPU (controller, API, launcher and steps): {cpu / wall * 100:.1f}% of one core")
    print(f"- workflows still stored at the end (ttlStrategy deletes each a minute after it ends): {left}")
    print(f"- store at the end: {size / 2**20:.1f} MiB")


def main(argv: list[str] | None = None) -> None:
    """Fill, serve, measure, print a markdown table and the ratios."""
    import uvicorn
    from starlette.applications import Starlette

    from sluicegate.api import ApiServer
    from sluicegate.config import Settings
    from sluicegate.part import StackContext
    from sluicegate.secrets import SecretStore
    from sluicegate.services._process import free_port
    from sluicegate.store import Store
    from sluicegate.ui import UiPart

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument(
        "--soak-minutes", type=float, default=float(os.environ.get("SLUICE_BENCH_SOAK_MINUTES", "0") or 0)
    )
    parser.add_argument("--soak-rate", type=float, default=30.0, help="workflows a minute during the soak")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="sluice-scale-"))
    store = Store(home / "store.db")
    start = time.perf_counter()
    for i in range(args.workflows):
        store.create(_workflow(i))
    fill = time.perf_counter() - start
    size = sum(p.stat().st_size for p in home.glob("store.db*"))

    ctx = StackContext(Settings(home=home, api_port=0), store, SecretStore(home), token="scale-token")
    api = ApiServer()
    url = api.start(ctx)["api"]
    ui_port = free_port()
    ui = UiPart()
    ui_ctx = StackContext(Settings(home=home, api_port=ui_port), store, SecretStore(home), token="scale-token")
    ui_ctx.endpoints = {"api": url, "mlflow": "http://127.0.0.1:1"}
    ui.start(ui_ctx)
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=ui.routes()), host="127.0.0.1", port=ui_port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        headers = {"Authorization": "Bearer scale-token"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            path = f"/api/v1/workflows/{NS}"
            first, deep, token = [], [], ""
            for _ in range(args.requests):
                took, _r = _timed(client, path, {"listOptions.limit": "50"})
                first.append(took)
            for _ in range(args.requests):  # walk on through the list, restarting at the end
                params = {"listOptions.limit": "50", **({"listOptions.continue": token} if token else {})}
                took, r = _timed(client, path, params)
                deep.append(took)
                token = r.json()["metadata"].get("continue") or ""
            whole = [_timed(client, path)[0] for _ in range(5)]
            count = len(client.get(path).json()["items"])
        with httpx.Client(base_url=f"http://127.0.0.1:{ui_port}", timeout=120) as browser:
            browser.get("/ui/login", params={"token": "scale-token"})
            page = [_timed(browser, "/ui/workflows")[0] for _ in range(50)]
    finally:
        server.should_exit = True
        thread.join(10)
        ui.stop()
        api.stop()
        store.close()
        shutil.rmtree(home, ignore_errors=True)

    f50, f99 = _ms(first)
    d50, d99 = _ms(deep)
    w50, _ = _ms(whole)
    u50, u99 = _ms(page)
    print(f"## Scale: {args.workflows:,} finished workflows of 5 steps in one store (2 cores)\n")
    print("| measure | p50 (ms) | p99 (ms) | target |")
    print("|---|---|---|---|")
    print(f"| API list, limit=50, first page | {f50:.1f} | {f99:.1f} | p99 < 50 ms |")
    print(f"| API list, limit=50, walking `continue` | {d50:.1f} | {d99:.1f} | p99 < 50 ms |")
    print(f"| API list, whole list ({count:,} items; peer) | {w50:.0f} | - | - |")
    print(f"| UI workflow list page (signed in) | {u50:.1f} | {u99:.1f} | < 200 ms |")
    print()
    print(f"- whole list / one page of 50 (p50): {w50 / f50:.0f}x")
    print(f"- store: {size / 2**20:.1f} MiB, {size / args.workflows / 1024:.1f} KiB a workflow; filled in {fill:.0f} s")
    print(f"- load average while measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (p99s follow it)")
    if args.concurrent:
        concurrency(args.concurrent)
        concurrency_api(args.concurrent)
    if args.soak_minutes:
        soak(args.soak_minutes, args.soak_rate)
    else:
        print(
            "\n- soak: not run this time (`--soak-minutes 30`, or SLUICE_BENCH_SOAK_MINUTES=30 with `python -m bench`)"
        )


if __name__ == "__main__":
    main()
