"""`python -m components.relay`: run the MLflow -> CloudEvents relay until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from components.relay._mlflow import MlflowError
from components.relay._relay import Relay, RelayConfig


def _read_secret(path: Path | None, env: str, what: str) -> str:
    """The value from the file (a Secret volume) or the environment; "" after printing why it is missing."""
    if path is not None:
        try:
            value = path.read_text().strip()
        except OSError as e:
            print(f"error: cannot read {what} from {path}: {e.strerror}", file=sys.stderr)
            return ""
    else:
        value = os.environ.get(env, "").strip()
    if not value:
        print(f"error: {path or f'environment variable {env}'} ({what}) is empty; set it", file=sys.stderr)
    return value


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the relay, wait for a signal."""
    p = argparse.ArgumentParser(prog="python -m components.relay", description=__doc__)
    p.add_argument("--mlflow", required=True, help="MLflow tracking URI, e.g. http://127.0.0.1:5000")
    p.add_argument("--sink", required=True, help="base URL of the mlflow EventSource, e.g. http://host:12001/mlflow")
    p.add_argument("--listen-host", default="127.0.0.1")
    p.add_argument("--listen-port", type=int, default=8090)
    p.add_argument("--state", type=Path, required=True, help="JSON file for the watermark and seen deliveries")
    p.add_argument("--secret-env", default="MLFLOW_WEBHOOK_SECRET", help="env var holding the webhook secret")
    p.add_argument("--secret-file", type=Path, default=None, help="file holding the webhook secret (wins over env)")
    p.add_argument(
        "--sink-token-env", default="SINK_TOKEN", help="env var holding the EventSource's bearer token (authSecret)"
    )
    p.add_argument("--sink-token-file", type=Path, default=None, help="file holding that token (wins over env)")
    p.add_argument("--poll-interval", type=float, default=2.0)
    p.add_argument("--window", type=float, default=300.0, help="accepted webhook timestamp skew, seconds")
    p.add_argument("--register-webhook", action="store_true", help="create/update the MLflow webhook at start")
    p.add_argument(
        "--backfill-seconds",
        type=float,
        default=0.0,
        help="on a first start (no state file), also announce runs that finished up to this long ago",
    )
    p.add_argument("--public-url", default="", help="URL MLflow calls (default http://HOST:PORT/webhook)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s relay %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll request is noise
    secret = _read_secret(args.secret_file, args.secret_env, "the webhook secret")
    sink_token = _read_secret(args.sink_token_file, args.sink_token_env, "the EventSource's bearer token")
    if not secret or not sink_token:
        return 2
    cfg = RelayConfig(
        mlflow=args.mlflow,
        sink=args.sink,
        state=args.state,
        secret=secret,
        sink_token=sink_token,
        host=args.listen_host,
        port=args.listen_port,
        poll_interval=args.poll_interval,
        window=args.window,
        register_webhook=args.register_webhook,
        public_url=args.public_url,
        backfill_seconds=args.backfill_seconds,
    )
    relay = Relay(cfg)
    try:
        relay.start()
    except MlflowError as e:
        print(f"error: could not register the MLflow webhook: {e}", file=sys.stderr)
        relay.stop()
        return 1
    logging.info("listening on %s, relaying to %s", relay.url, cfg.sink)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    relay.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
