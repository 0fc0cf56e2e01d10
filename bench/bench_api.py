"""The engine as users reach it: `sluice up`, Hera's `WorkflowsService`, the API's watch stream.

Run: `.venv/bin/python bench/bench_api.py [--repeats 20]`. Starts a real stack (`sluice up --detach` on a
fresh SLUICE_HOME, its own MLflow on a free port), then, on the same no-op work `bench_engine.py` times:
- a 20-step chain of no-op Python script steps: from Hera's `create_workflow` call until the API's watch
  stream (`/api/v1/workflow-events/`, what `argo watch` and the UI read) shows it Succeeded, divided by 20;
- a one-step workflow: create -> Succeeded, p50/p99;
- Hera's `create_workflow` round trip alone (p50);
- CPU time per step of the process running the controller (and the API), and of the step launcher (the
  zygote with the steps it forked): on a busy host wall times swing, CPU time much less.
The peer, measured in the same run on the same workflow documents: the controller in-process
(`sluicegate.engine.testing.LocalEngine`, no API, no client), which is what `bench_engine.py` reports.
Once more through a stack started with SLUICE_SANDBOX=0, for what the step sandbox adds on this path.
The floor under both: `python3.11 -c pass` and a fork of the warm launcher, measured first.
Targets (issue): at most 5 ms/step on the chain, 10 ms create -> Succeeded for one step, through the API.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NS = "sluicegate"
CHAIN = 20
_DONE = ("Succeeded", "Failed", "Error")


# -- the workflows (one definition for both paths) --------------------------------------------------------
def noop_template() -> dict[str, Any]:
    """A Python script step that prints one line: no package installs, no work."""
    return {
        "name": "noop",
        "script": {"image": "python:3.11", "command": ["python"], "source": "import time\nprint(time.time())"},
    }


def chain_workflow(name: str, steps: int) -> dict[str, Any]:
    """`steps` no-op steps one after another (steps: [[s0], [s1], ...])."""
    main = {"name": "main", "steps": [[{"name": f"s{i}", "template": "noop"}] for i in range(steps)]}
    return {"metadata": {"name": name}, "spec": {"entrypoint": "main", "templates": [main, noop_template()]}}


def one_step_workflow(name: str) -> dict[str, Any]:
    """A workflow whose entrypoint is the no-op step itself."""
    return {"metadata": {"name": name}, "spec": {"entrypoint": "noop", "templates": [noop_template()]}}


# -- the stack --------------------------------------------------------------------------------------------
@dataclass
class Stack:
    """A running `sluice up --detach`: its home, API URL, token and supervisor pid."""

    home: Path
    url: str
    token: str
    pid: int


def _sluice(home: Path, *args: str, sandbox: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_SANDBOX": "1" if sandbox else "0"}
    env.pop("SLUICE_MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "sluicegate", *args], cwd=home.parent, env=env, capture_output=True, text=True
    )


@contextmanager
def running_stack(sandbox: bool = True) -> Iterator[Stack]:
    """`sluice up --detach` on a fresh home (free API and MLflow ports); `sluice down` afterwards.

    `sandbox=False` starts it with SLUICE_SANDBOX=0 (steps without their own root file system).
    """
    from sluicegate.services._process import free_port

    home = Path(tempfile.mkdtemp(prefix="sluice-bench-api-")) / "home"
    ports = ("--port", str(free_port()), "--mlflow-port", str(free_port()))
    up = _sluice(home, "up", "--detach", *ports, sandbox=sandbox)
    if up.returncode != 0:
        log = (home / "stack.log").read_text(errors="replace")[-2000:] if (home / "stack.log").exists() else ""
        raise RuntimeError(f"sluice up failed: {up.stderr}{up.stdout}{log}")
    endpoints = json.loads((home / "endpoints.json").read_text())
    try:
        yield Stack(home, str(endpoints["api"]), (home / "token").read_text().strip(), int(endpoints["pid"]))
    finally:
        _sluice(home, "down")
        shutil.rmtree(home.parent, ignore_errors=True)


# -- through the API --------------------------------------------------------------------------------------
class ApiPath:
    """Hera's client creates; the watch stream (opened before the create) says when it finished."""

    def __init__(self, stack: Stack) -> None:
        from hera.workflows import WorkflowsService

        self.service = WorkflowsService(host=stack.url, token=stack.token, namespace=NS)
        self.http = httpx.Client(
            base_url=stack.url, headers={"Authorization": f"Bearer {stack.token}"}, timeout=httpx.Timeout(300)
        )
        self.creates: list[float] = []

    def close(self) -> None:
        """Close both clients."""
        self.service.close()
        self.http.close()

    def run(self, doc: dict[str, Any]) -> float:
        """Seconds from the create call until the watch shows the workflow finished (it must succeed)."""
        from hera.workflows.models import Workflow, WorkflowCreateRequest

        name = doc["metadata"]["name"]
        request = WorkflowCreateRequest(workflow=Workflow(**doc))
        params = {"listOptions.fieldSelector": f"metadata.name={name}"}
        with self.http.stream("GET", f"/api/v1/workflow-events/{NS}", params=params) as events:
            lines = events.iter_lines()
            start = time.perf_counter()
            self.service.create_workflow(request)
            self.creates.append(time.perf_counter() - start)
            for line in lines:
                event = orjson.loads(line)["result"]
                phase = (event["object"].get("status") or {}).get("phase")
                if phase in _DONE:
                    took = time.perf_counter() - start
                    if phase != "Succeeded":
                        raise RuntimeError(f"{name} ended {phase}: {event['object']['status'].get('message')}")
                    return took
        raise RuntimeError(f"the watch of {name} ended before the workflow finished")


# -- in-process peer --------------------------------------------------------------------------------------
class InProcess:
    """The controller in this process over its own store (`LocalEngine`), the figure bench_engine reports."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def run(self, doc: dict[str, Any]) -> float:
        """Seconds from storing the workflow until the store says it finished (it must succeed)."""
        start = time.perf_counter()
        done = self.engine.wait(self.engine.submit(doc), 300)
        took = time.perf_counter() - start
        if done["status"]["phase"] != "Succeeded":
            raise RuntimeError(f"in-process run ended {done['status']['phase']}: {done['status'].get('message')}")
        return took


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU seconds of a process (with `reaped`: plus its children that ended), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if reaped else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def launcher_pid(parent: int) -> int:
    """The step launcher (`_zygote.py`) a controller process started."""
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        if "_zygote.py" in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
            return int(child)
    raise RuntimeError(f"process {parent} runs no step launcher")


def measure(path: ApiPath | InProcess, tag: str, repeats: int, chains: int, controller: int) -> dict[str, Any]:
    """One-step create -> Succeeded `repeats` times (after a warm-up), then the chain `chains` times.

    `controller` is the pid of the process running the controller; its CPU and its launcher's are taken
    over the chains.
    """
    path.run(one_step_workflow(f"warm-{tag}"))
    ones = [path.run(one_step_workflow(f"one-{tag}-{i}")) for i in range(repeats)]
    zygote = launcher_pid(controller)
    before = cpu_seconds(controller), cpu_seconds(zygote, reaped=True)
    chain = [path.run(chain_workflow(f"chain-{tag}-{i}", CHAIN)) / CHAIN for i in range(chains)]
    steps = CHAIN * chains
    cpu = (cpu_seconds(controller) - before[0]) / steps, (cpu_seconds(zygote, reaped=True) - before[1]) / steps
    return {"one": ones, "chain": chain, "cpu": cpu}


def floor(repeats: int = 20) -> dict[str, float]:
    """What starting a process costs here, the floor under a step: best and median ms of each way.

    - `python3.11 -c pass` (a new interpreter outside any venv, what a step would cost without the zygote);
    - a fork of this warm interpreter (the engine's modules loaded, as the zygote is) that exits at once and is
      waited for; a sandboxed step takes three (its shim, its init, the step), an unsandboxed one two.
    """
    python = getattr(sys, "_base_executable", sys.executable)  # the interpreter itself, not this venv's

    def fork() -> None:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)

    ways = {
        "python": lambda: subprocess.run([python, "-c", "pass"], check=True),
        "fork": fork,
    }
    out: dict[str, float] = {}
    for name, way in ways.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            way()
            times.append(time.perf_counter() - started)
        out[name], out[f"{name}_median"] = min(times) * 1000, statistics.median(times) * 1000
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def through_api(repeats: int, chains: int, sandbox: bool = True) -> tuple[dict[str, Any], float]:
    """`measure` through a fresh stack (with its `create_workflow` round trips); and its start-up seconds."""
    started = time.perf_counter()
    with running_stack(sandbox) as stack:
        up = time.perf_counter() - started
        api = ApiPath(stack)
        try:
            row = measure(api, "api", repeats, chains, stack.pid)
        finally:
            api.close()
    return {**row, "creates": api.creates}, up


def main(argv: list[str] | None = None) -> None:
    """Start a stack, measure both paths in turn, print a markdown table with the ratios."""
    from sluicegate.engine.testing import LocalEngine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--chains", type=int, default=3)
    args = parser.parse_args(argv)

    with LocalEngine() as engine:
        local = measure(InProcess(engine), "local", args.repeats, args.chains, os.getpid())
    start = floor()
    through, up = through_api(args.repeats, args.chains)
    bare, _ = through_api(args.repeats, args.chains, sandbox=False)
    creates = through["creates"]

    print(f"## The engine through the API: Hera's client against `sluice up` ({CHAIN}-step chain, one step)\n")
    print(
        "| path | per step, chain (ms, best / median) | one step create -> Succeeded p50 / p99 (ms) "
        "| CPU per step: controller / launcher and steps (ms) |"
    )
    print("|---|---|---|---|")
    rows = (
        ("through the API (Hera + watch)", through),
        ("in-process controller (peer)", local),
        ("through the API, steps not sandboxed (SLUICE_SANDBOX=0)", bare),
    )
    for label, row in rows:
        chain = row["chain"]
        print(
            f"| {label} | {min(chain) * 1000:.1f} / {statistics.median(chain) * 1000:.1f} | "
            f"{_p(row['one'], 0.5):.1f} / {_p(row['one'], 0.99):.1f} | "
            f"{row['cpu'][0] * 1000:.1f} / {row['cpu'][1] * 1000:.1f} |"
        )
    print()
    print(
        f"- through the API / in-process: chain {min(through['chain']) / min(local['chain']):.2f}x, "
        f"one step p50 {_p(through['one'], 0.5) / _p(local['one'], 0.5):.2f}x"
    )
    print(
        f"- the step sandbox, through the API: chain {(min(through['chain']) - min(bare['chain'])) * 1000:+.1f} ms "
        f"per step, one step p50 {_p(through['one'], 0.5) - _p(bare['one'], 0.5):+.1f} ms"
    )
    print(f"- Hera `create_workflow` round trip alone: p50 {_p(creates, 0.5):.1f} ms")
    for label, row in (("sandboxed steps", through), ("steps not sandboxed", bare)):
        print(
            f"- targets, {label}: chain <= 5 ms/step ({'met' if min(row['chain']) <= 0.005 else 'not met'}), "
            f"one step <= 10 ms ({'met' if _p(row['one'], 0.5) <= 10 else 'not met'}, p50)"
        )
    print(
        f"- the floor: `python3.11 -c pass` {start['python']:.1f} ms (median {start['python_median']:.1f}); "
        f"a fork of the warm launcher {start['fork']:.1f} ms (median {start['fork_median']:.1f}), three per "
        f"sandboxed step: beyond them a sandboxed step costs {min(through['chain']) * 1000 - 3 * start['fork']:.1f} "
        f"ms, an unsandboxed one {min(bare['chain']) * 1000 - 2 * start['fork']:.1f} ms (chain, best)"
    )
    print(
        f"- `sluice up --detach` took {up:.1f} s (with its own MLflow); "
        f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
