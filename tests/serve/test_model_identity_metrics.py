"""Answers name the model version; /metrics counts requests, latency and predictions across workers.

A registered version's identity and a failing model's answers are the server's ASGI app's, loaded as each
worker of the server loads it (`load_now`, its startup) and asked in process; the count across workers asks a
real server with two worker processes.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from batchkit import request_asgi
from mlflow import MlflowClient
from modelkit import Server, breast_cancer, register

from components.serve import ServeApp

pytestmark = pytest.mark.slow

ROWS = {"dataframe_records": breast_cancer()[0].iloc[:3].to_dict(orient="records")}


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@contextmanager
def _loaded(uri: str, tracking_uri: str, tmp_path: Path) -> Iterator[ServeApp]:
    """The server's app for `uri`, loaded as a worker of `python -m components.serve --tracking-uri` loads it."""
    app = ServeApp(uri, tracking_uri, tmp_path / "metrics")
    app.load_now()
    assert app.model is not None, app.error
    try:
        yield app
    finally:
        app.model.close()


def _ask(app: ServeApp, path: str, body: bytes = b"") -> tuple[int, dict[str, str], str]:
    status, headers, answer = asyncio.run(request_asgi(app, "POST" if body else "GET", path, body))
    return status, headers, answer.decode()


def test_serve_registry_uri_names_version_and_run(mlflow_server: str, tmp_path: Path) -> None:
    version = register(mlflow_server, "serve-identity")
    MlflowClient(mlflow_server).set_registered_model_alias("serve-identity", "champion", version)
    run_id = MlflowClient(mlflow_server).get_model_version("serve-identity", version).run_id
    with _loaded("models:/serve-identity@champion", mlflow_server, tmp_path) as app:
        status, headers, _ = _ask(app, "/invocations", json.dumps(ROWS).encode())
        assert status == 200
        assert headers["x-model-version"] == version
        assert headers["x-model-name"] == "serve-identity"
        assert headers["x-model-run-id"] == run_id
        assert headers["x-model-uri"] == "models:/serve-identity@champion"
        info = _ask(app, "/metrics")[2]
        assert f'sluicegate_model_info{{model_name="serve-identity",model_version="{version}"}} 1' in info


def test_serve_faulty_model_answers_500_and_keeps_serving(mlflow_server: str, tmp_path: Path) -> None:
    version = register(mlflow_server, "serve-faulty", error_rate=0.5)
    with _loaded(f"models:/serve-faulty/{version}", mlflow_server, tmp_path) as app:
        codes = [_ask(app, "/invocations", json.dumps(ROWS).encode())[0] for _ in range(6)]
        assert sorted(codes) == [200, 200, 200, 500, 500, 500]
        metrics = _ask(app, "/metrics")[2]
        assert _metric(metrics, "sluicegate_model_requests_total", code="500") == 3
        assert _metric(metrics, "sluicegate_model_requests_total", code="200") == 3


def test_metrics_sum_all_workers(sklearn_model_dir: Path, tmp_path: Path) -> None:
    with Server(str(sklearn_model_dir), tmp_path / "s.log", workers=2) as s, httpx.Client() as client:
        *workers, server = s.workers()
        assert workers == [server] * 2, "a fast-path model's workers are forks of the server that loaded it"
        for _ in range(20):
            r = client.post(s.url + "/invocations", json=ROWS)
            assert r.status_code == 200
        client.post(s.url + "/invocations", content=b"{}", headers={"content-type": "application/json"})
        text = ""
        for _ in range(4):  # whichever worker answers, the counts are the server's
            text = httpx.get(s.url + "/metrics").text
            assert _metric(text, "sluicegate_model_requests_total", code="200") == 20
            assert _metric(text, "sluicegate_model_requests_total", code="400") == 1
            assert _metric(text, "sluicegate_model_predictions_total") == 60
        assert _metric(text, "sluicegate_model_request_duration_seconds_bucket", le="+Inf") == 21
        assert re.search(r"sluicegate_model_requests_in_flight\{.*\} 0", text)
