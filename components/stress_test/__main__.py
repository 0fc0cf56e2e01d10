"""`python -m components.stress_test`: the CLI the `stress-test` step runs.

Writes the output `report` (JSON) to `--outputs-dir`, also when a gate is missed. Exit codes: 0 all gates
held; 1 a gate was missed (one line on stderr says which); 2 bad input or an unreachable MLflow.
`--prepare-env` only builds the serving environment of `--model-uri` (the `serve-env` step) and exits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components._common import DATASETS, DEFAULT_OUTPUTS_DIR, OneLineParser, run_cli
from components.stress_test._local_server import ServeFailed, served
from components.stress_test._prepare import prepare_env
from components.stress_test._stress import DEFAULT_EXPERIMENT, stress_test

PROG = "components.stress_test"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the load, print the summary; returns the exit code."""
    parser = OneLineParser(prog=PROG, description="Open-loop load test of a model service, with gates.")
    parser.add_argument("--url", default="", help="model service base URL (requests go to URL/invocations)")
    parser.add_argument(
        "--model-uri", default="", help="when --url is empty: serve this model here (components.serve) and load it"
    )
    parser.add_argument(
        "--prepare-env",
        action="store_true",
        help="only build --model-uri's serving environment into $SLUICE_ENVS_DIR (the serve-env step)",
    )
    parser.add_argument("--rps", type=float, required=True, help="fixed arrival rate, requests per second")
    parser.add_argument("--duration", type=float, required=True, help="seconds of load")
    parser.add_argument("--p99-latency-ms", type=float, required=True, help="gate: p99 latency at most this")
    parser.add_argument("--max-error-rate", type=float, required=True, help="gate: share of failed requests, 0..1")
    parser.add_argument("--dataset", default="breast_cancer", help=f"rows to send: {', '.join(DATASETS)}")
    parser.add_argument("--batch-rows", type=int, default=1, help="rows per request (default 1)")
    parser.add_argument("--payload-file", type=Path, default=None, help="post this JSON body instead of dataset rows")
    parser.add_argument(
        "--rows-file", type=Path, default=None, help="send the rows of this dataframe_split JSON when it exists"
    )
    parser.add_argument(
        "--rows-b64", default="", help="send the rows of this base64 dataframe_split JSON (wins over --rows-file)"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="per-request timeout, seconds (counts as error)")
    parser.add_argument("--max-connections", type=int, default=256, help="connection pool size")
    parser.add_argument("--tracking-uri", default="", help="MLflow tracking server URL (optional)")
    parser.add_argument("--run-id", default="", help="log into this MLflow run instead of a new one")
    parser.add_argument("--experiment", default=DEFAULT_EXPERIMENT, help="experiment of a new run")
    parser.add_argument("--outputs-dir", type=Path, default=DEFAULT_OUTPUTS_DIR, help="where Argo reads outputs")
    args = parser.parse_args(argv)
    if not args.url and not args.model_uri:
        parser.error("give --url (a running service) or --model-uri (serve that model here and load it)")
    if args.prepare_env:
        if not args.model_uri:
            parser.error("--prepare-env needs --model-uri")
        print(prepare_env(args.model_uri, args.tracking_uri or None))
        return 0
    if args.url:
        return _run(args, args.url)
    try:
        with served(args.model_uri, args.tracking_uri or None) as url:
            print(f"serving {args.model_uri} at {url} for the stress test")
            return _run(args, url)
    except ServeFailed as e:
        print(f"{PROG}: {e}; check that the model URI exists and the tracking URI is right", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, url: str) -> int:
    result = stress_test(
        url=url,
        rps=args.rps,
        duration=args.duration,
        p99_latency_ms=args.p99_latency_ms,
        max_error_rate=args.max_error_rate,
        dataset=args.dataset,
        batch_rows=args.batch_rows,
        payload_file=args.payload_file,
        rows_file=args.rows_file,
        rows_b64=args.rows_b64,
        timeout=args.timeout,
        max_connections=args.max_connections,
        tracking_uri=args.tracking_uri or None,
        run_id=args.run_id or None,
        experiment=args.experiment,
        outputs_dir=args.outputs_dir,
    )
    r = result.report
    summary = (
        f"{r['requests']} requests at {r['achieved_rps']:.1f}/s (target {r['target_rps']:g}/s): "
        f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
        f"error rate {r['error_rate']:.3f}"
    )
    if not result.passed:
        print(f"{PROG}: gates missed: {'; '.join(result.failures)} ({summary})", file=sys.stderr)
        return 1
    print(f"gates passed: {summary}")
    return 0


if __name__ == "__main__":
    run_cli(PROG, main)
