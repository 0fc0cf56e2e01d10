"""Generic pyfunc models for the batching tests: row-wise, batch-dependent, picky, and the model's own say.

Shared by tests/serve/test_batching.py; each model is saved once per session by the fixtures there. The
requests to an in-process app (`request_asgi`, `post_asgi`) serve the other tests of the app too.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import cloudpickle
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import infer_signature

from components.serve import ServeApp

EXAMPLE = pd.DataFrame({"x": [1.0, 2.5, 4.0], "n": [1, 2, 3], "tag": ["a", "b", "c"]})


class Doubled(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """Row-wise: each answer depends on its own row only."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
        return (model_input["x"] * 2 + model_input["n"]).to_numpy()


class Centred(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """Not row-wise: each answer is its row minus the mean of the whole input."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
        x = model_input["x"].to_numpy()
        return x - x.mean()


class Picky(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """Row-wise, but raises when any row has a negative x."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
        if (model_input["x"] < 0).any():
            raise ValueError("x must not be negative")
        return model_input["x"].to_numpy() * 3


def save(path: Path, model: mlflow.pyfunc.PythonModel, example: bool = True, metadata: Any = None) -> Path:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    mlflow.pyfunc.save_model(
        str(path),
        python_model=model,
        signature=infer_signature(EXAMPLE, np.zeros(len(EXAMPLE))),
        input_example=EXAMPLE if example else None,
        metadata=metadata,
        pip_requirements=[f"mlflow=={mlflow.__version__}"],  # served in-process: no inference subprocess
    )
    return path


def split_body(rows: pd.DataFrame) -> bytes:
    return json.dumps({"dataframe_split": rows.to_dict(orient="split", index=False)}).encode()


async def request_asgi(
    app: ServeApp, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
) -> tuple[int, dict[str, str], bytes]:
    """One request to the in-process app, as a worker of its server gets it; returns status, headers and body."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", content_type.encode())]
    await app({"type": "http", "path": path, "method": method, "headers": headers}, receive, send)
    answered = {k.decode(): v.decode() for k, v in sent[0].get("headers", [])}
    return int(sent[0]["status"]), answered, b"".join(bytes(m.get("body", b"")) for m in sent[1:])


async def post_asgi(app: ServeApp, body: bytes, content_type: str = "application/json") -> tuple[int, bytes]:
    """POST `body` to `/invocations` of the in-process app; returns the status and the response body."""
    status, _, answer = await request_asgi(app, "POST", "/invocations", body, content_type)
    return status, answer


def concurrently(app: ServeApp, bodies: list[bytes], content_type: str = "application/json") -> list[tuple[int, Any]]:
    """Send every body to the in-process app at once; returns (status, JSON) per body, in order."""

    async def run() -> list[tuple[int, bytes]]:
        return list(await asyncio.gather(*(post_asgi(app, b, content_type) for b in bodies)))

    return [(status, json.loads(body)) for status, body in asyncio.run(run())]
