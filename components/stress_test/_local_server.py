"""Serve a candidate model next to the load generator, so the stress test measures the new version itself.

Before a canary starts, no service serves the candidate yet (the canary Service still routes to the stable
version), so the pipeline's `stress-test` step starts `components.serve` for the model URI on a loopback
port inside its own pod/process, waits until `/ready`, and points the load at it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

__all__ = ["ServeFailed", "served"]


class ServeFailed(Exception):
    """The model server did not become ready."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(model_uri: str, tracking_uri: str | None, timeout: float = 600.0) -> Iterator[str]:
    """Run `components.serve` for `model_uri` on 127.0.0.1; yields its base URL; stops it afterwards.

    The timeout covers a model served in its own logged environment, which the server builds first when it
    is not there yet (uv and bytecode, minutes on a loaded machine); the step's deadline is longer.
    """
    port = _free_port()
    env = {**os.environ, **({"MLFLOW_TRACKING_URI": tracking_uri} if tracking_uri else {})}
    argv = [
        sys.executable,
        "-m",
        "components.serve",
        "--model-uri",
        model_uri,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            # one client for every poll: each `httpx.get` builds a TLS context (~55 ms of CPU), five times a second
            with httpx.Client(timeout=2) as client:
                while True:
                    if proc.poll() is not None:
                        log.seek(0)
                        tail = log.read().decode(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
                        raise ServeFailed(
                            f"the model server for {model_uri} exited with code {proc.returncode}: {tail[0]}"
                        )
                    try:
                        if client.get(f"{url}/ready").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise ServeFailed(f"the model server for {model_uri} was not ready after {timeout:.0f}s")
                    time.sleep(0.2)
            yield url
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
