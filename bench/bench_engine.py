"""Workflow engine benchmark: per-step overhead and submit-to-first-step latency, ours against peers.

Run: `.venv/bin/python bench/bench_engine.py [--repeats 20]`. The peers live in their own venv,
`.venv-bench` (made by `make bench`; another with SLUICE_BENCH_PYTHON), because KFP pins `kubernetes<31`,
which the project cannot share; each peer runs there as `bench_engine.py --peer NAME` and prints JSON.
Measured in the same run, on the same no-op work (a Python step that
prints one line, no package installs):
- 20-step chain: wall time / 20 = per-step overhead;
- 50-way fan-out: wall time / 50;
- submit-to-first-step: time from submitting a one-step workflow until its step's code runs (p50/p99).
Ours = `sluicegate.engine` (controller over a fresh store, warm zygote forks per step, steps sandboxed as by
default; once more with SLUICE_SANDBOX=0 for what the sandbox costs); peers = Metaflow's
local `run` and KFP's `kfp.local` SubprocessRunner. Prints a markdown table and the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHAIN = 20
FANOUT = 50
ROOT = Path(__file__).resolve().parent.parent
PEER_PYTHON = os.environ.get("SLUICE_BENCH_PYTHON", str(ROOT / ".venv-bench" / "bin" / "python"))


def run_peer(name: str, repeats: int) -> dict[str, Any] | None:
    """Run one peer in the peers' venv (`--peer NAME`); None when that venv or the peer is missing."""
    if not Path(PEER_PYTHON).exists():
        return None
    done = subprocess.run(
        [PEER_PYTHON, __file__, "--peer", name, "--repeats", str(repeats)], capture_output=True, text=True
    )
    if done.returncode != 0:
        print(f"{name} failed: {done.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    result: dict[str, Any] | None = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- ours ---------------------------------------------------------------------------------------------
def _noop_template() -> dict[str, Any]:
    return {
        "name": "noop",
        "script": {"image": "python:3.11", "command": ["python"], "source": "import time\nprint(time.time())"},
    }


def _ours_chain(engine: Any) -> float:
    steps = [[{"name": f"s{i}", "template": "noop"}] for i in range(CHAIN)]
    wf = {"spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": steps}, _noop_template()]}}
    start = time.perf_counter()
    done = engine.wait(engine.submit(wf), 300)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    return time.perf_counter() - start


def _ours_fanout(engine: Any) -> float:
    step = {"name": "fan", "template": "noop", "withSequence": {"count": str(FANOUT)}}
    wf = {"spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[step]]}, _noop_template()]}}
    start = time.perf_counter()
    done = engine.wait(engine.submit(wf), 300)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    return time.perf_counter() - start


def _ours_first_step(engine: Any) -> float:
    wf = {"spec": {"entrypoint": "noop", "templates": [_noop_template()]}}
    start = time.time()
    done = engine.wait(engine.submit(wf), 60)
    node = done["status"]["nodes"][done["metadata"]["name"]]
    return float(node["outputs"]["result"]) - start


def run_ours(repeats: int) -> dict[str, Any]:
    from sluicegate.engine.testing import LocalEngine

    with LocalEngine() as engine:
        _ours_first_step(engine)  # warm-up
        firsts = [_ours_first_step(engine) for _ in range(repeats)]
        chain = min(_ours_chain(engine) for _ in range(2))
        fan = min(_ours_fanout(engine) for _ in range(2))
    return {"chain": chain / CHAIN, "fanout": fan / FANOUT, "first": firsts}


# -- KFP local SubprocessRunner -------------------------------------------------------------------------
def run_kfp(repeats: int) -> dict[str, Any] | None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return _run_kfp(repeats)  # kfp.local prints every task's executor log


def _run_kfp(repeats: int) -> dict[str, Any] | None:
    try:
        from kfp import dsl, local
    except ImportError:
        return None
    import logging

    logging.disable(logging.INFO)  # kfp.local logs every task at INFO
    workdir = tempfile.mkdtemp(prefix="bench-kfp-")
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=workdir)

    def noop_fn() -> float:
        import time

        print("x")
        return time.time()

    noop_fn.__annotations__ = {"return": float}  # real types: this module uses postponed annotations
    noop = dsl.component(noop_fn)

    def chain() -> None:
        previous = noop()
        for _ in range(CHAIN - 1):
            previous = noop().after(previous)

    def fan() -> None:
        for _ in range(FANOUT):
            noop()

    chain.__annotations__ = fan.__annotations__ = {}
    chain, fan = dsl.pipeline(chain), dsl.pipeline(fan)

    def timed(fn: Callable[[], Any]) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    firsts = []
    for _ in range(max(3, repeats // 4)):
        start = time.time()
        task = noop()
        firsts.append(float(task.output) - start)
    result = {"chain": timed(chain) / CHAIN, "fanout": timed(fan) / FANOUT, "first": firsts}
    logging.disable(logging.NOTSET)
    return result


# -- Metaflow local run ---------------------------------------------------------------------------------
_MF_HEADER = "from metaflow import FlowSpec, step\nimport time\n\n"


def _mf_chain_source() -> str:
    lines = [_MF_HEADER, "class Chain(FlowSpec):"]
    names = ["start", *[f"s{i}" for i in range(1, CHAIN - 1)], "end"]
    for i, name in enumerate(names):
        lines += ["    @step", f"    def {name}(self):", "        print('x')"]
        if name != "end":
            lines.append(f"        self.next(self.{names[i + 1]})")
    lines += ["", "if __name__ == '__main__':", "    Chain()"]
    return "\n".join(lines) + "\n"


def _mf_fan_source() -> str:
    return (
        _MF_HEADER
        + "class Fan(FlowSpec):\n"
        + f"    @step\n    def start(self):\n        self.items = list(range({FANOUT}))\n"
        + "        self.next(self.work, foreach='items')\n"
        + "    @step\n    def work(self):\n        print('x')\n        self.next(self.join)\n"
        + "    @step\n    def join(self, inputs):\n        self.next(self.end)\n"
        + "    @step\n    def end(self):\n        pass\n\n"
        + "if __name__ == '__main__':\n    Fan()\n"
    )


def _mf_first_source(marker: Path) -> str:
    return (
        _MF_HEADER
        + "class First(FlowSpec):\n"
        + f"    @step\n    def start(self):\n        open({str(marker)!r}, 'w').write(str(time.time()))\n"
        + "        self.next(self.end)\n"
        + "    @step\n    def end(self):\n        pass\n\n"
        + "if __name__ == '__main__':\n    First()\n"
    )


def run_metaflow(repeats: int) -> dict[str, Any] | None:
    try:
        import metaflow  # noqa: F401
    except ImportError:
        return None
    home = Path(tempfile.mkdtemp(prefix="bench-mf-"))
    env = {
        **os.environ,
        "METAFLOW_HOME": str(home),
        "METAFLOW_DEFAULT_DATASTORE": "local",
        "METAFLOW_DEFAULT_METADATA": "local",
        "USERNAME": "bench",
    }

    def run(source: str, name: str) -> float:
        path = home / f"{name}.py"
        path.write_text(source)
        start = time.perf_counter()
        subprocess.run([sys.executable, str(path), "run"], cwd=home, env=env, check=True, capture_output=True)
        return time.perf_counter() - start

    chain = run(_mf_chain_source(), "chain")
    fan = run(_mf_fan_source(), "fan")
    firsts = []
    marker = home / "first.txt"
    for _ in range(max(3, repeats // 4)):
        start = time.time()
        run(_mf_first_source(marker), "first")
        firsts.append(float(marker.read_text()) - start)
    return {"chain": chain / CHAIN, "fanout": fan / (FANOUT + 3), "first": firsts}


# -- report ---------------------------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _with_sandbox(setting: str, repeats: int) -> dict[str, Any]:
    """Ours with SLUICE_SANDBOX=`setting` ("1": steps sandboxed, the default; "0": off), in the same run."""
    before = os.environ.get("SLUICE_SANDBOX")
    os.environ["SLUICE_SANDBOX"] = setting
    try:
        return run_ours(repeats)
    finally:
        if before is None:
            os.environ.pop("SLUICE_SANDBOX", None)
        else:
            os.environ["SLUICE_SANDBOX"] = before


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--peer", choices=["kfp-local", "metaflow"], help="run one peer here and print JSON")
    args = parser.parse_args(argv)
    if args.peer:
        print(json.dumps({"kfp-local": run_kfp, "metaflow": run_metaflow}[args.peer](args.repeats)))
        return
    rows = {
        "sluicegate": _with_sandbox("1", args.repeats),
        "sluicegate, sandbox off": _with_sandbox("0", args.repeats),
        "kfp-local": run_peer("kfp-local", args.repeats),
        "metaflow": run_peer("metaflow", args.repeats),
    }
    print(f"## Workflow engine: {CHAIN}-step chain, {FANOUT}-way fan-out, submit-to-first-step (2 cores)\n")
    print("| engine | per step, chain (ms) | per step, fan-out (ms) | first step p50 (ms) | first step p99 (ms) |")
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        if row is None:
            print(f"| {name} | not installed | | | |")
            continue
        firsts = row["first"]
        print(
            f"| {name} | {row['chain'] * 1000:.1f} | {row['fanout'] * 1000:.1f} | "
            f"{statistics.median(firsts) * 1000:.1f} | {_pct(firsts, 0.99) * 1000:.1f} |"
        )
    ours, bare = rows["sluicegate"], rows["sluicegate, sandbox off"]
    assert ours is not None and bare is not None
    print()
    print(
        f"- the step sandbox (own root file system, PID namespace, unprivileged user; on by default) costs "
        f"{(ours['chain'] - bare['chain']) * 1000:+.1f} ms per step on the chain "
        f"({ours['chain'] / bare['chain']:.2f}x the engine with SLUICE_SANDBOX=0), "
        f"{(ours['fanout'] - bare['fanout']) * 1000:+.1f} ms on the fan-out "
        f"({ours['fanout'] / bare['fanout']:.2f}x), first step p50 "
        f"{statistics.median(ours['first']) / statistics.median(bare['first']):.2f}x"
    )
    for name in ("kfp-local", "metaflow"):
        peer = rows[name]
        if peer is None:
            continue
        print(
            f"- vs {name}: chain {peer['chain'] / ours['chain']:.1f}x lower per-step overhead, "
            f"fan-out {peer['fanout'] / ours['fanout']:.1f}x, "
            f"first step p50 {statistics.median(peer['first']) / statistics.median(ours['first']):.1f}x"
        )


if __name__ == "__main__":
    main()
