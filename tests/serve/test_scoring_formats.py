"""Every MLflow scoring format answers exactly what MLflow's own scoring code answers for the same model."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pytest
from mlflow.pyfunc.scoring_server import invocations
from modelkit import Server, breast_cancer

pytestmark = pytest.mark.slow

ROWS = breast_cancer()[0].iloc[[0, 1, 19, 20, 568]]

BODIES = {
    "dataframe_split": {"dataframe_split": ROWS.to_dict(orient="split", index=False)},
    "dataframe_split_reordered": {"dataframe_split": ROWS[ROWS.columns[::-1]].to_dict(orient="split", index=False)},
    "dataframe_records": {"dataframe_records": ROWS.to_dict(orient="records")},
    "instances_records": {"instances": ROWS.to_dict(orient="records")},
    "inputs_columns": {"inputs": ROWS.to_dict(orient="list")},
    "instances_rows": {"instances": ROWS.to_numpy().tolist()},
    "inputs_rows": {"inputs": ROWS.to_numpy().tolist()},
}


@functools.cache
def _pyfunc(model_dir: Path) -> Any:
    return mlflow.pyfunc.load_model(str(model_dir))


def _mlflow_answer(model_dir: Path, body: bytes, content_type: str) -> tuple[int, object]:
    pyfunc = _pyfunc(model_dir)
    try:
        res = invocations(body, content_type, pyfunc, pyfunc.metadata.get_input_schema())
    except mlflow.exceptions.MlflowException as e:
        return e.get_http_status_code(), None
    return res.status, json.loads(res.response)


@pytest.mark.parametrize("fmt", sorted(BODIES))
def test_invocations_format_matches_mlflow(server: Server, sklearn_model_dir: Path, fmt: str) -> None:
    body = json.dumps(BODIES[fmt]).encode()
    status, expected = _mlflow_answer(sklearn_model_dir, body, "application/json")
    got = server.post(body)
    if status == 200:
        assert got.status_code == 200, got.text
        assert got.json() == expected
        assert set(got.json()["predictions"]) <= {0, 1}
    else:  # MLflow rejects bare rows for a model with a named signature; so do we, with a 4xx
        assert 400 <= got.status_code < 500, got.text


def test_invocations_csv_matches_mlflow(server: Server, sklearn_model_dir: Path) -> None:
    body = ROWS.to_csv(index=False).encode()
    status, expected = _mlflow_answer(sklearn_model_dir, body, "text/csv")
    got = server.post(body, "text/csv")
    assert status == 200 and got.status_code == 200
    assert got.json() == expected


def test_invocations_many_rows_match_sklearn(server: Server) -> None:
    from modelkit import fit

    X, _ = breast_cancer()
    got = server.post({"dataframe_split": X.to_dict(orient="split", index=False)})
    assert got.json()["predictions"] == fit().predict(X).tolist()


def test_health_ready_ping_answer(server: Server) -> None:
    import httpx

    for path in ("/health", "/ping", "/ready"):
        assert httpx.get(server.url + path).status_code == 200
    assert httpx.get(server.url + "/nope").status_code == 404
    assert httpx.get(server.url + "/invocations").status_code == 405
