"""Serving benchmark: `components.serve` against `mlflow models serve --env-manager local`, same model, same wrk.

Run: `.venv/bin/python bench/bench_serving.py [--duration 8] [--workers 2]` (needs `wrk`: `apt-get install wrk`).
Two models, each served by both servers with the same number of workers:
- the second sample's kind: a house-price regression, pandas preprocessing in a custom pyfunc around a
  LightGBM booster (the path a user's own model takes: ours serves it in its logged environment, built with
  uv, stacking concurrent requests into one predict call);
- a scaled logistic regression on breast_cancer saved with the sklearn flavor (our numpy fast path).
Both servers must give identical answers for every input format; then each is loaded with wrk at 1, 8 and
32 connections (one row per request, `dataframe_split`). Prints markdown tables with req/s, p50, p99, the
CPU time each server spent per request (all its processes, user and system: what a busy machine's noise
leaves steadiest), the ratios ours/MLflow measured in this run and the load average while measured.
MLflow runs with its defaults, as a user starts it; ours sets OMP_NUM_THREADS=1 (one native thread per
predict call; concurrency comes from stacking requests).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs", "csv")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _save_model(path: Path) -> None:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    mlflow.sklearn.save_model(model, str(path), signature=infer_signature(X, model.predict(X)))


def _save_house(path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "serve"))
    from housekit import save_house_pyfunc

    save_house_pyfunc(path)


def _house_rows(index: list[int]) -> Any:
    from housekit import house_data

    return house_data()[0].iloc[index]


def _cancer_rows(index: list[int]) -> Any:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).data.iloc[index]


def _bodies(rows: Any) -> dict[str, tuple[bytes, str]]:
    js = "application/json"
    return {
        "dataframe_split": (json.dumps({"dataframe_split": rows.to_dict(orient="split", index=False)}).encode(), js),
        "dataframe_records": (json.dumps({"dataframe_records": rows.to_dict(orient="records")}).encode(), js),
        "instances": (json.dumps({"instances": rows.to_dict(orient="records")}).encode(), js),
        "inputs": (json.dumps({"inputs": rows.to_dict(orient="list")}).encode(), js),
        "csv": (rows.to_csv(index=False).encode(), "text/csv"),
    }


def _one_row_body(rows: Any) -> bytes:
    return json.dumps({"dataframe_split": rows.to_dict(orient="split", index=False)}).encode()


def _start(argv: list[str], url: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True, env=env or dict(os.environ)
        )
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{argv[:4]} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/ping", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{argv[:4]} did not start; see {log}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def _cpu_seconds(session: int) -> float:
    """CPU time (user + system) of every process in `session` so far (a server started in its own session)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session:  # fields after the name: state ppid pgrp session ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _loaded(url: str, body: bytes, connections: int, duration: int, tmp: Path, server: int) -> dict[str, float]:
    """wrk's figures for one server, with the CPU milliseconds it spent per request meanwhile."""
    before = _cpu_seconds(server)
    out = _wrk(url, body, connections, duration, tmp)
    out["cpu_ms"] = (_cpu_seconds(server) - before) * 1000 / max(out["rps"] * duration, 1.0)
    out["load"] = os.getloadavg()[0]
    return out


def _wrk(url: str, body: bytes, connections: int, duration: int, tmp: Path) -> dict[str, float]:
    script = tmp / "post.lua"
    script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body.decode())}\n"
    )
    threads = min(2, connections)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "failed": float(non2xx.group(1)) if non2xx else 0.0,
        "socket_errors": 1.0 if errors else 0.0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _same_answers(ours: str, theirs: str, rows: Any) -> list[str]:
    lines = []
    for fmt, (body, ctype) in _bodies(rows).items():
        a = httpx.post(ours + "/invocations", content=body, headers={"content-type": ctype}, timeout=30)
        b = httpx.post(theirs + "/invocations", content=body, headers={"content-type": ctype}, timeout=30)
        same = a.status_code == b.status_code == 200 and a.json() == b.json()
        lines.append(f"| {fmt} | {a.status_code} | {b.status_code} | {'identical' if same else 'DIFFERENT'} |")
        if not same:
            print(f"answers differ for {fmt}: ours {a.text[:200]} mlflow {b.text[:200]}", file=sys.stderr)
    return lines


def _compare(label: str, model: Path, rows: Any, one_row: Any, duration: int, workers: int, tmp: Path) -> str:
    """Serve `model` with both servers, check answers, load each with wrk; returns one markdown section."""
    py = sys.executable
    p_ours, p_mlflow = _free_port(), _free_port()
    ours_url, mlflow_url = f"http://127.0.0.1:{p_ours}", f"http://127.0.0.1:{p_mlflow}"
    env_bin = str(Path(py).parent)
    env = {**os.environ, "PATH": env_bin + os.pathsep + os.environ.get("PATH", ""), "SLUICE_HOME": str(tmp / "home")}
    began = time.monotonic()
    ours = _start(
        [py, "-m", "components.serve", "--model-uri", str(model), "--port", str(p_ours), "--workers", str(workers)],
        ours_url,
        tmp / f"{label}-ours.log",
        env,
    )
    ours_start = time.monotonic() - began
    mlflow_argv = [str(Path(env_bin) / "mlflow"), "models", "serve", "-m", str(model), "--env-manager", "local"]
    theirs = _start(
        [*mlflow_argv, "-h", "127.0.0.1", "-p", str(p_mlflow), "-w", str(workers)],
        mlflow_url,
        tmp / f"{label}-mlflow.log",
        env,
    )
    try:
        answers = _same_answers(ours_url, mlflow_url, rows)
        body = _one_row_body(one_row)
        table = []
        for conns in (1, 8, 32):
            a = _loaded(ours_url + "/invocations", body, conns, duration, tmp, ours.pid)
            b = _loaded(mlflow_url + "/invocations", body, conns, duration, tmp, theirs.pid)
            table.append(
                f"| {conns} | {a['rps']:.0f} | {a['p50']:.2f} | {a['p99']:.2f} | {a['cpu_ms']:.2f} | {b['rps']:.0f} | "
                f"{b['p50']:.2f} | {b['p99']:.2f} | {b['cpu_ms']:.2f} | {a['rps'] / b['rps']:.1f}x | "
                f"{b['p99'] / max(a['p99'], 1e-9):.1f}x | {b['cpu_ms'] / max(a['cpu_ms'], 1e-9):.1f}x | "
                f"{a['failed']:.0f}/{b['failed']:.0f} | {(a['load'] + b['load']) / 2:.1f} |"
            )
    finally:
        _stop(ours)
        _stop(theirs)
    return "\n".join(
        [
            f"## Serving {label}: components.serve vs mlflow models serve (workers={workers}, wrk {duration}s, "
            "1 row/request)",
            "",
            f"Our server was ready {ours_start:.0f} s after start (including its environment when it built one).",
            "",
            "| conns | ours req/s | ours p50 ms | ours p99 ms | ours CPU ms/req | mlflow req/s | mlflow p50 ms "
            "| mlflow p99 ms | mlflow CPU ms/req | req/s ratio | p99 ratio (mlflow/ours) | CPU/req ratio (mlflow/ours) "
            f"| non-2xx ours/mlflow | load avg ({os.cpu_count()} CPUs) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *table,
            "",
            "| input format | ours | mlflow | answers |",
            "|---|---|---|---|",
            *answers,
            "",
        ]
    )


def run(duration: int, workers: int) -> str:
    """Run the benchmark; returns the markdown report."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (scripts/install-system-packages.sh does it)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    try:
        _save_house(tmp / "house")
        _save_model(tmp / "cancer")
        pick = [0, 19, 100, 300, 568]
        house = _compare(
            "a custom pyfunc (pandas + LightGBM, the second sample's kind)",
            tmp / "house",
            _house_rows(pick),
            _house_rows([7]),
            duration,
            workers,
            tmp,
        )
        cancer = _compare(
            "an sklearn pipeline (numpy fast path)",
            tmp / "cancer",
            _cancer_rows(pick),
            _cancer_rows([7]),
            duration,
            workers,
            tmp,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return house + "\n" + cancer


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(run(args.duration, args.workers))


if __name__ == "__main__":
    main()
