"""Turning a model's raw predictions into per-request answers, in the bytes MLflow's scoring server sends.

Called by `components.serve._model` for every answer of a generic pyfunc and of MLflow's own path:
`split` cuts a stacked prediction back into one prediction per request, `to_json` encodes one prediction
as `{"predictions": ...}` exactly as `mlflow models serve` does (its own encoder, except for plain numeric
arrays, whose bytes are produced directly: they are the same). `ModelFailure` is what a model's own
failure becomes (a 500).
"""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import numpy as np

__all__ = ["ModelFailure", "split", "to_json"]

#: numpy dtype kinds whose arrays `tolist()` into plain JSON numbers and booleans.
_PLAIN_KINDS = frozenset("biuf")


class ModelFailure(Exception):
    """The model raised on valid input (a 500)."""


def to_json(raw: Any) -> tuple[bytes, list[Any]]:
    """The answer body for `raw` and the predictions as Python values (for the metrics).

    Raises:
        ModelFailure: the predictions cannot be encoded as JSON.
    """
    if isinstance(raw, np.ndarray) and raw.ndim and raw.dtype.kind in _PLAIN_KINDS:
        # MLflow encodes such an array as the standard `json` module encodes its `tolist()` (its encoder
        # class is never asked about a value): the same bytes, without its per-call type checks.
        plain: list[Any] = raw.tolist()
        return json.dumps({"predictions": plain}).encode(), plain
    from mlflow.pyfunc.scoring_server import predictions_to_json

    out = StringIO()
    try:
        predictions_to_json(raw, out)
    except Exception as e:
        raise ModelFailure(f"predictions are not serialisable: {e}") from e
    preds = raw.tolist() if isinstance(raw, np.ndarray) else raw if isinstance(raw, list) else []
    return out.getvalue().encode(), preds


def split(raw: Any, sizes: list[int]) -> list[Any] | None:
    """Cut a stacked prediction back into per-request predictions; None when its shape does not allow it."""
    import pandas as pd

    total = sum(sizes)
    if isinstance(raw, np.ndarray) and raw.ndim >= 1 and raw.shape[0] == total:
        cut: Any = lambda a, b: raw[a:b]  # noqa: E731
    elif isinstance(raw, pd.DataFrame | pd.Series) and len(raw) == total:
        cut = lambda a, b: raw.iloc[a:b].reset_index(drop=True)  # noqa: E731
    elif isinstance(raw, list) and len(raw) == total:
        cut = lambda a, b: raw[a:b]  # noqa: E731
    else:
        return None
    parts, start = [], 0
    for n in sizes:
        parts.append(cut(start, start + n))
        start += n
    return parts
