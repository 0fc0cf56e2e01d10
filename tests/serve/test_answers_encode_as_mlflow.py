"""Every answer body is byte for byte what MLflow's scoring server writes for the same predictions.

Plain numeric and boolean arrays are encoded by the server itself; everything else by MLflow's encoder.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow.pyfunc.scoring_server import predictions_to_json

from components.serve._answers import to_json


def _mlflow_bytes(raw: Any) -> bytes:
    out = StringIO()
    predictions_to_json(raw, out)
    return out.getvalue().encode()


@pytest.mark.parametrize(
    "raw",
    [
        np.array([123456.789012, 0.1, -2.5e-12, 1e16, 1e300]),
        np.array([np.nan, np.inf, -np.inf, -0.0]),
        np.array([0.1, 1 / 3, 7.25], dtype=np.float32),
        np.array([0.5], dtype=np.float16),
        np.array([1, -2, 2**62], dtype=np.int64),
        np.array([0, 255], dtype=np.uint8),
        np.array([True, False]),
        np.array([[0.2, 0.8], [0.9, 0.1]]),
        np.array(["yes", "no"], dtype=object),
        np.array(["a", "b"]),
        pd.Series([1.5, 2.5]),
        pd.DataFrame({"p": [0.1, 0.9], "label": ["a", "b"]}),
        [1, 2.5, "x"],
    ],
    ids=[
        "float64",
        "float64-nan-inf",
        "float32",
        "float16",
        "int64",
        "uint8",
        "bool",
        "float64-2d",
        "object",
        "unicode",
        "series",
        "dataframe",
        "list",
    ],
)
def test_answer_bytes_equal_mlflow_scoring_server(raw: Any) -> None:
    body, preds = to_json(raw)
    assert body == _mlflow_bytes(raw)
    if isinstance(raw, np.ndarray):
        assert repr(preds) == repr(raw.tolist())  # the same values (NaN included) for the metrics
