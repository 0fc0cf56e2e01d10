"""`python -m components.serve --model-uri URI --host H --port P [--workers N]`: the model server.

Run by the Rollout's container (cluster) and by the local rollout controller (one process per replica set).
`MODEL_URI` (set from the pod annotation `sluicegate.io/model-uri` through the downward API) is used when
`--model-uri` is not given; `MLFLOW_TRACKING_URI` or `--tracking-uri` resolves `models:/` URIs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Load the model (fail fast with a clear message), then serve it with uvicorn."""
    parser = argparse.ArgumentParser(prog="python -m components.serve", description=__doc__)
    parser.add_argument("--model-uri", default=os.environ.get("MODEL_URI", ""))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SERVE_WORKERS", "1")))
    parser.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI", ""))
    args = parser.parse_args(argv)
    if not args.model_uri:
        parser.error("no model: pass --model-uri or set MODEL_URI (e.g. models:/breast-cancer/1)")
    import uvicorn

    from components.httpguard import Guard, guarded_http_protocol
    from components.serve._app import MAX_BODY, ServeApp
    from components.serve._model import load

    metrics_dir = os.environ.get("SLUICE_SERVE_METRICS_DIR") or tempfile.mkdtemp(prefix="sluice-metrics-")
    try:
        model = load(args.model_uri, args.tracking_uri or None)
    except Exception as e:
        print(f"error: cannot load model {args.model_uri!r}: {type(e).__name__}: {e}", file=sys.stderr)
        print("fix: check the URI exists in MLflow (models:/NAME/VERSION) and MLFLOW_TRACKING_URI", file=sys.stderr)
        return 2
    options = {"host": args.host, "port": args.port, "log_level": "warning", "access_log": False}
    # The guarded protocol drops clients that do not send a request head within the guard's deadline.
    options |= {"http": guarded_http_protocol(), "loop": "uvloop", "timeout_keep_alive": 30}
    options |= {"timeout_graceful_shutdown": 10}
    if args.workers <= 1:
        app = ServeApp(args.model_uri, args.tracking_uri or None, Path(metrics_dir), model=model)
        uvicorn.run(Guard(app, MAX_BODY), **options)
        return 0
    os.environ.update(
        MODEL_URI=args.model_uri, MLFLOW_TRACKING_URI=args.tracking_uri, SLUICE_SERVE_METRICS_DIR=metrics_dir
    )
    uvicorn.run("components.serve._app:create_app", factory=True, workers=args.workers, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
