"""End-to-end time of the demo: `sluice up --detach` on a fresh home, then `sluice demo` (three pushes).

Run: `.venv/bin/python bench/bench_demo.py` (or `make bench`). There is no peer that runs this loop on one
machine; the figure is set against the target of 10 minutes on 2 cores, and, for scale, against what the
same loop takes on a cluster (pod scheduling and image pulls alone are minutes there; not measured here).
Prints a markdown table: stack start, demo, total, and the demo's own summary line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 600.0


def _sluice(home: Path, *args: str, timeout: float) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "SLUICE_HOME": str(home), "COLUMNS": "160"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sluicegate", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    return time.perf_counter() - start, done


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-demo-")) / "home"
    up_s, up = _sluice(home, "up", "--detach", "--port", "0", "--mlflow-port", "0", timeout=600)
    if up.returncode != 0:
        raise RuntimeError(f"sluice up failed: {up.stderr.strip()[-500:]}")
    try:
        demo_s, demo = _sluice(home, "demo", timeout=1800)
    finally:
        _sluice(home, "down", timeout=120)
    traffic = re.search(r"steady traffic: (\d+) requests, (\d+) failed", demo.stdout)
    outcome = "all three as expected" if demo.returncode == 0 else "NOT as expected"
    print("## The demo, end to end (`sluice up --detach` + `sluice demo`, 2 cores)\n")
    print("| stack start (s) | demo: 3 pushes (s) | total (s) | target (s) | outcome | steady traffic |")
    print("|---|---|---|---|---|---|")
    sent, failed = (traffic.group(1), traffic.group(2)) if traffic else ("?", "?")
    print(
        f"| {up_s:.0f} | {demo_s:.0f} | {up_s + demo_s:.0f} | {TARGET_S:.0f} | {outcome} | "
        f"{sent} requests, {failed} failed |"
    )
    print(f"\n- total / target: {(up_s + demo_s) / TARGET_S:.2f}")
    rows = [line for line in demo.stdout.splitlines() if line.startswith("│")]
    if rows:
        print("\n```")
        print("\n".join(rows))
        print("```")
    if demo.returncode != 0:
        print("\n```\n" + demo.stdout[-3000:] + "\n```")


if __name__ == "__main__":
    main()
