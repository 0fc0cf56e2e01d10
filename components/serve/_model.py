"""Turning request bodies into predictions of a loaded model.

Called by the ASGI app (`components.serve._app`); models come from `components.serve._load`. Three paths
give the same answers as `mlflow models serve`:
- the fast path, for scikit-learn, XGBoost and LightGBM models (`components.serve._flavors`): JSON is
  decoded with orjson into a float64 matrix (columns ordered as the signature / `feature_names_in_` says)
  and the flavor's own model is called directly, on the event loop;
- the stacked path, for a generic pyfunc with a column signature (`components.serve._frames`): the body is
  checked against the signature here, requests waiting together are scored in one `predict` call on the
  model thread (`components.serve._batch`) when the model scores rows independently (`stack`), and the
  DataFrame is built here and handed to the model without MLflow's per-call enforcement once it proved
  identical to MLflow's;
- the general path, for every other model or input shape: MLflow's own scoring-server parsing and
  `PyFuncModel.predict`, one request at a time on the model thread.

Input problems raise `InputError` (-> 400/422 naming the field). An exception raised by the model itself on
validated input is a server-side model failure and becomes a 500 (MLflow answers 400 there; a canary whose
model fails must show up as 5xx for the analysis).
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

import numpy as np
import orjson

from components.serve._answers import ModelFailure, split, to_json
from components.serve._batch import Batcher, Job
from components.serve._flavors import FastModel
from components.serve._frames import ColumnSignature, enforced, frame, own_frame, rows_of, same_frame

__all__ = ["FORMATS", "InputError", "LoadedModel", "ModelFailure", "ModelInfo"]

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_NUMERIC = {"double", "float", "long", "integer"}


class InputError(Exception):
    """The request cannot be scored: `status` (400/415/422) and a message naming the field."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class ModelInfo:
    """Where the served model comes from; sent in response headers and metric labels."""

    uri: str
    name: str = ""
    version: str = ""
    run_id: str = ""


@dataclass
class LoadedModel:
    """A loaded model: the pyfunc (always), and the flavor's fast path or the signature to stack requests by."""

    info: ModelInfo
    pyfunc: Any
    fast: FastModel | None = None
    sig: ColumnSignature | None = None
    stack: bool = True
    unchecked: Any = field(default=None, repr=False)
    own_keys: dict[tuple[Any, ...], bool] = field(default_factory=dict, repr=False)
    batcher: Batcher | None = field(default=None, repr=False)

    @property
    def columns(self) -> list[str] | None:
        """The fast path's input columns in order (None: positional)."""
        return self.fast.columns if self.fast else None

    @property
    def n_features(self) -> int | None:
        """How many values a row of the fast path has (None: unknown)."""
        return self.fast.n_features if self.fast else None

    @property
    def signature(self) -> bool:
        """Whether the fast path's columns come from a named signature."""
        return bool(self.fast and self.fast.signature)

    @property
    def classes(self) -> list[Any]:
        """A classifier's classes (for the per-class prediction counters)."""
        return self.fast.classes if self.fast else []

    # -- public -------------------------------------------------------------------------------------
    async def answer(self, body: bytes, content_type: str) -> tuple[bytes, list[Any]]:
        """Score one request body; returns the JSON answer and the raw predictions (for metrics).

        Raises:
            InputError: the body is not a valid scoring request for this model.
            ModelFailure: the model raised on valid input.
        """
        mime, _, params = content_type.partition(";")
        mime = mime.strip().lower()
        if params.strip() and params.replace(" ", "").lower() not in ("charset=utf-8", ""):
            raise InputError(f"unsupported content type parameters {params.strip()!r}; use charset=utf-8", 415)
        if not body:
            raise InputError("empty body; send JSON with one of " + ", ".join(FORMATS))
        if mime == "text/csv":
            return await self._run(Job(call=lambda: self._general_csv(body)))
        if mime not in ("application/json", ""):
            raise InputError(f"unsupported content type {mime!r}; use application/json or text/csv", 415)
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            doc = _lenient_json(body)
        if not isinstance(doc, dict):
            raise InputError(f"body must be a JSON object with exactly one of {', '.join(FORMATS)}")
        keys = [k for k in FORMATS if k in doc]
        if len(keys) != 1:
            raise InputError(f"body must have exactly one of {', '.join(FORMATS)}; got keys {sorted(doc)[:10]}")
        if self.fast is not None and "params" not in doc:
            matrix = self._fast_matrix(keys[0], doc[keys[0]])
            if matrix is not None:
                preds = self._call_fast(matrix)
                return orjson.dumps({"predictions": preds}), preds
        if self.sig is not None:
            rows = rows_of(doc, self.sig)
            if rows is not None:
                return await self._run(Job(rows=rows.rows, key=rows.key))
        return await self._run(Job(call=lambda: self._general_json(doc)))

    def close(self) -> None:
        """Stop the model thread."""
        if self.batcher is not None:
            self.batcher.close()

    async def _run(self, job: Job) -> tuple[bytes, list[Any]]:
        if self.batcher is None:
            self.batcher = Batcher(self._run_rows, max_rows=_max_rows() if self.stack else 1)
        result: tuple[bytes, list[Any]] = await self.batcher.submit(job)
        return result

    def _run_rows(self, jobs: list[Job]) -> None:
        """Score jobs of one key in one predict call when possible, else one by one (same answers)."""
        sig = self.sig
        if sig is None:
            raise RuntimeError("row jobs need a column signature")
        if len(jobs) > 1 and self.stack:
            sizes = [len(j.rows or ()) for j in jobs]
            parts = None
            try:
                raw = self._predict_rows([r for j in jobs for r in j.rows or ()], jobs[0].key)
                parts = split(raw, sizes)
            except (InputError, ModelFailure):
                parts = None
            if parts is not None:
                for job, part in zip(jobs, parts, strict=True):
                    try:
                        job.result = to_json(part)
                    except ModelFailure as e:
                        job.error = e
                return
        for job in jobs:
            try:
                job.result = to_json(self._predict_rows(job.rows or [], job.key))
            except (InputError, ModelFailure) as e:
                job.error = e

    def _predict_rows(self, rows: list[list[Any]], key: tuple[Any, ...]) -> Any:
        """Predict checked rows: on our own DataFrame once it proved identical to MLflow's for this key."""
        sig = self.sig
        if self.unchecked is not None and sig is not None and self.own_keys.get(key, True):
            own = own_frame(rows, sig)
            if own is not None and key not in self.own_keys:
                theirs = self._frame(rows)
                try:
                    self.own_keys[key] = same_frame(own, enforced(self.pyfunc, theirs))
                except Exception:  # MLflow refuses these values: its own path answers (with its error)
                    return self._predict(theirs, None)
            if own is not None and self.own_keys.get(key):
                return self._predict(own, None, self.unchecked)
        return self._predict(self._frame(rows), None)

    def _frame(self, rows: list[list[Any]]) -> Any:
        if self.sig is None:
            raise RuntimeError("row jobs need a column signature")
        try:
            return frame(rows, self.sig)
        except Exception as e:
            raise InputError(f"cannot parse input: {_mlflow_message(e)}") from e

    # -- fast path ----------------------------------------------------------------------------------
    def _fast_matrix(self, key: str, value: Any) -> np.ndarray | None:
        """A float64 matrix with the model's columns, None when only the general path can decide."""
        if key == "dataframe_split":
            if not isinstance(value, dict) or not isinstance(value.get("data"), list):
                raise InputError("dataframe_split.data must be a list of rows")
            cols = value.get("columns")
            if cols is None:
                return self._rows(value["data"], "dataframe_split.data")
            if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
                raise InputError("dataframe_split.columns must be a list of column names")
            rows = value["data"]
            if self.columns is None:
                return self._rows(rows, "dataframe_split.data")
            where = {c: i for i, c in enumerate(cols)}
            missing = [c for c in self.columns if c not in where]
            if missing:
                raise InputError(f"dataframe_split.columns is missing required column {missing[0]!r}")
            matrix = self._rows(rows, "dataframe_split.data", width=len(cols))
            return matrix[:, [where[c] for c in self.columns]]
        if key in ("instances", "inputs"):
            if isinstance(value, dict):
                return self._columns(value, key)
            if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                return self._records(value, key)
            if isinstance(value, list) and value and all(isinstance(r, list) for r in value) and not self.signature:
                return self._rows(value, key)  # with a named signature MLflow rejects bare rows; so do we
            return None
        if not isinstance(value, list):
            raise InputError("dataframe_records must be a list of objects")
        return self._records(value, "dataframe_records")

    def _rows(self, rows: Any, where: str, width: int | None = None) -> np.ndarray:
        if not isinstance(rows, list) or not rows:
            raise InputError(f"{where} must be a non-empty list of rows")
        want = width or self.n_features
        for i, row in enumerate(rows):
            if not isinstance(row, list):
                raise InputError(f"{where}[{i}] must be a list of numbers")
            if want is not None and len(row) != want:
                raise InputError(f"{where}[{i}] has {len(row)} values; the model takes {want}", 422)
            for j, x in enumerate(row):
                if type(x) is not float and type(x) is not int:
                    raise InputError(f"{where}[{i}][{j}] must be a number, got {_kind(x)}", 422)
        try:
            matrix = np.array(rows, dtype=np.float64)
        except (ValueError, TypeError, OverflowError) as e:
            raise InputError(f"{where} is not a numeric matrix: {e}", 422) from e
        if matrix.ndim != 2:
            raise InputError(f"{where} must be a 2-D list of numbers", 422)
        return matrix

    def _records(self, records: list[Any], where: str) -> np.ndarray:
        if not records:
            raise InputError(f"{where} must be a non-empty list of objects")
        names = self.columns or [str(k) for k in records[0]] if isinstance(records[0], dict) else []
        rows = []
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                raise InputError(f"{where}[{i}] must be an object of column: value")
            try:
                rows.append([rec[c] for c in names])
            except KeyError as e:
                raise InputError(f"{where}[{i}] is missing column {e.args[0]!r}", 422) from None
        return self._rows(rows, where)

    def _columns(self, cols: dict[str, Any], where: str) -> np.ndarray:
        names = self.columns or list(cols)
        missing = [c for c in names if c not in cols]
        if missing:
            raise InputError(f"{where} is missing column {missing[0]!r}", 422)
        values = [cols[c] for c in names]
        if not all(isinstance(v, list) for v in values) or len({len(v) for v in values}) != 1:
            raise InputError(f"{where} columns must be lists of the same length", 422)
        return self._rows([list(r) for r in zip(*values, strict=True)], where)

    def _call_fast(self, matrix: np.ndarray) -> list[Any]:
        if not np.isfinite(matrix).all():
            raise InputError("input contains NaN or infinite values", 422)
        fast = self.fast
        if fast is None:
            raise RuntimeError("no fast path")
        try:
            preds = fast.predict(matrix)  # warnings were silenced once at load (components.serve._flavors)
        except Exception as e:
            raise ModelFailure(f"model failed: {type(e).__name__}: {e}") from e
        out: list[Any] = np.asarray(preds).tolist()  # Python numbers: float32 printed as MLflow prints it
        return out

    # -- general path (MLflow's own parsing) --------------------------------------------------------
    def _schema(self) -> Any:
        return self.pyfunc.metadata.get_input_schema()

    def _general_json(self, doc: dict[str, Any]) -> tuple[bytes, list[Any]]:
        from mlflow.pyfunc.scoring_server import infer_and_parse_data

        params = doc.get("params")
        try:
            data = infer_and_parse_data({k: v for k, v in doc.items() if k in FORMATS}, self._schema())
        except Exception as e:
            raise InputError(f"cannot parse input: {_mlflow_message(e)}") from e
        return self._general_predict(data, params)

    def _general_csv(self, body: bytes) -> tuple[bytes, list[Any]]:
        from mlflow.pyfunc.scoring_server import parse_csv_input

        try:
            data = parse_csv_input(StringIO(body.decode("utf-8")), schema=self._schema())
        except Exception as e:
            raise InputError(f"cannot parse CSV: {_mlflow_message(e)}") from e
        if self.fast is not None and self.columns is None and self.n_features is not None:
            data = data.to_numpy()
        return self._general_predict(data, None)

    def _general_predict(self, data: Any, params: Any) -> tuple[bytes, list[Any]]:
        if self.fast is not None:
            self._check_matrix_input(data)
        return to_json(self._predict(data, params))

    def _predict(self, data: Any, params: Any, pyfunc: Any = None) -> Any:
        from mlflow.exceptions import MlflowException

        model = self.pyfunc if pyfunc is None else pyfunc
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return model.predict(data, params=params) if params else model.predict(data)
        except MlflowException as e:
            if e.get_http_status_code() < 500 or "schema" in e.message.lower():
                raise InputError(f"input does not match the model signature: {e.message}", 422) from e
            raise ModelFailure(f"model failed: {e.message}") from e
        except Exception as e:
            raise ModelFailure(f"model failed: {type(e).__name__}: {e}") from e

    def _check_matrix_input(self, data: Any) -> None:
        """Reject input the fast path's model cannot take (so only model failures become 500s)."""
        if self.columns and hasattr(data, "columns"):
            missing = [c for c in self.columns if c not in data.columns]
            if missing:
                raise InputError(f"input is missing column {missing[0]!r}", 422)
        try:
            matrix = np.asarray(data[self.columns] if self.columns and hasattr(data, "columns") else data, dtype=float)
        except Exception as e:
            raise InputError(f"input is not numeric: {e}", 422) from e
        if matrix.ndim != 2 or (self.n_features is not None and matrix.shape[1] != self.n_features):
            raise InputError(f"input has shape {matrix.shape}; the model takes rows of {self.n_features} values", 422)
        if not np.isfinite(matrix).all():
            raise InputError("input contains NaN or infinite values", 422)


def _kind(x: Any) -> str:
    return "null" if x is None else type(x).__name__


def _lenient_json(body: bytes) -> Any:
    """Python's json accepts NaN/Infinity like MLflow does; orjson does not."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise InputError(f"body is not valid JSON: {str(e)[:200]}") from e


def _mlflow_message(e: Exception) -> str:
    return str(getattr(e, "message", e)).splitlines()[0][:300] if str(e) else type(e).__name__


def _max_rows() -> int:
    """Most rows scored in one stacked call (`SLUICE_SERVE_MAX_BATCH_ROWS`, default 256; 1 turns stacking off)."""
    try:
        return max(1, int(os.environ.get("SLUICE_SERVE_MAX_BATCH_ROWS", "256")))
    except ValueError:
        return 256
