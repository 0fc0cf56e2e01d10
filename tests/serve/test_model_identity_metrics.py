"""Answers name the model version; /metrics counts requests, latency and predictions across workers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from mlflow import MlflowClient
from modelkit import Server, breast_cancer, register

pytestmark = pytest.mark.slow

ROWS = {"dataframe_records": breast_cancer()[0].iloc[:3].to_dict(orient="records")}


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_serve_registry_uri_names_version_and_run(mlflow_server: str, tmp_path: Path) -> None:
    version = register(mlflow_server, "serve-identity")
    MlflowClient(mlflow_server).set_registered_model_alias("serve-identity", "champion", version)
    run_id = MlflowClient(mlflow_server).get_model_version("serve-identity", version).run_id
    with Server("models:/serve-identity@champion", tmp_path / "s.log", tracking_uri=mlflow_server) as s:
        got = s.post(ROWS)
        assert got.status_code == 200
        assert got.headers["x-model-version"] == version
        assert got.headers["x-model-name"] == "serve-identity"
        assert got.headers["x-model-run-id"] == run_id
        assert got.headers["x-model-uri"] == "models:/serve-identity@champion"
        info = httpx.get(s.url + "/metrics").text
        assert f'sluicegate_model_info{{model_name="serve-identity",model_version="{version}"}} 1' in info


def test_serve_faulty_model_answers_500_and_keeps_serving(mlflow_server: str, tmp_path: Path) -> None:
    version = register(mlflow_server, "serve-faulty", error_rate=0.5)
    with Server(f"models:/serve-faulty/{version}", tmp_path / "s.log", tracking_uri=mlflow_server) as s:
        codes = [s.post(ROWS).status_code for _ in range(6)]
        assert sorted(codes) == [200, 200, 200, 500, 500, 500]
        metrics = httpx.get(s.url + "/metrics").text
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
