"""Loading the model a server answers with, and turning request bodies into predictions.

Called by the ASGI app (`components.serve._app`). Two paths give the same answers:
- the fast path, for models whose pyfunc flavor is scikit-learn: JSON is decoded with orjson into a float64
  matrix (columns ordered as the signature / `feature_names_in_` says) and the sklearn estimator is called
  directly;
- the general path, for every other model or input shape: MLflow's own scoring-server parsing and
  `PyFuncModel.predict`, so the answer is exactly what `mlflow models serve` gives.

Input problems raise `InputError` (-> 400/422 naming the field). An exception raised by the model itself on
validated input is a server-side model failure and becomes a 500 (MLflow answers 400 there; a canary whose
model fails must show up as 5xx for the analysis).
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import orjson

__all__ = ["InputError", "LoadedModel", "ModelFailure", "ModelInfo", "load"]

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_NUMERIC = {"double", "float", "long", "integer"}


class InputError(Exception):
    """The request cannot be scored: `status` (400/415/422) and a message naming the field."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ModelFailure(Exception):
    """The model raised on valid input (a 500)."""


@dataclass
class ModelInfo:
    """Where the served model comes from; sent in response headers and metric labels."""

    uri: str
    name: str = ""
    version: str = ""
    run_id: str = ""


@dataclass
class LoadedModel:
    """A loaded model: the pyfunc (always) and the raw sklearn estimator (fast path) when there is one."""

    info: ModelInfo
    pyfunc: Any
    sklearn: Any = None
    columns: list[str] | None = None
    n_features: int | None = None
    signature: bool = False
    classes: list[Any] = field(default_factory=list)

    # -- public -------------------------------------------------------------------------------------
    def predict_body(self, body: bytes, content_type: str) -> tuple[bytes, list[Any]]:
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
            return self._general_csv(body)
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
        if self.sklearn is not None and "params" not in doc:
            matrix = self._fast_matrix(keys[0], doc[keys[0]])
            if matrix is not None:
                preds = self._call_sklearn(matrix)
                return orjson.dumps({"predictions": preds}, option=orjson.OPT_SERIALIZE_NUMPY), list(preds)
        return self._general_json(doc)

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

    def _call_sklearn(self, matrix: np.ndarray) -> Any:
        if not np.isfinite(matrix).all():
            raise InputError("input contains NaN or infinite values", 422)
        try:
            return self.sklearn.predict(matrix)  # warnings were silenced once at load (see _attach_sklearn)
        except Exception as e:
            raise ModelFailure(f"model failed: {type(e).__name__}: {e}") from e

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
        if self.sklearn is not None and self.columns is None and self.n_features is not None:
            data = data.to_numpy()
        return self._general_predict(data, None)

    def _general_predict(self, data: Any, params: Any) -> tuple[bytes, list[Any]]:
        from mlflow.exceptions import MlflowException
        from mlflow.pyfunc.scoring_server import predictions_to_json

        if self.sklearn is not None:
            self._check_sklearn_input(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw = self.pyfunc.predict(data, params=params) if params else self.pyfunc.predict(data)
        except MlflowException as e:
            if e.get_http_status_code() < 500 or "schema" in e.message.lower():
                raise InputError(f"input does not match the model signature: {e.message}", 422) from e
            raise ModelFailure(f"model failed: {e.message}") from e
        except Exception as e:
            raise ModelFailure(f"model failed: {type(e).__name__}: {e}") from e
        out = StringIO()
        try:
            predictions_to_json(raw, out)
        except Exception as e:
            raise ModelFailure(f"predictions are not serialisable: {e}") from e
        preds = raw.tolist() if isinstance(raw, np.ndarray) else raw if isinstance(raw, list) else []
        return out.getvalue().encode(), preds

    def _check_sklearn_input(self, data: Any) -> None:
        """Reject input sklearn cannot take (so only model failures become 500s)."""
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


# -- loading ----------------------------------------------------------------------------------------
def load(uri: str, tracking_uri: str | None = None) -> LoadedModel:
    """Load `models:/NAME/VERSION`, `models:/NAME@ALIAS`, a local MLflow model dir or a `build` bundle dir."""
    import mlflow
    import mlflow.pyfunc

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
    info = ModelInfo(uri=uri)
    if uri.startswith("models:/"):
        info = _registry_info(uri)
        local = Path(tempfile.mkdtemp(prefix="sluice-serve-"))
        atexit.register(shutil.rmtree, local, True)
        path = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(local)))
    else:
        path = Path(uri.removeprefix("file://"))
        path, info = _local_model_dir(path, uri)
    pyfunc = mlflow.pyfunc.load_model(str(path))
    model = LoadedModel(info=info, pyfunc=pyfunc)
    if pyfunc.metadata.flavors.get("python_function", {}).get("loader_module") == "mlflow.sklearn":
        _attach_sklearn(model, path)
    return model


def _registry_info(uri: str) -> ModelInfo:
    from mlflow import MlflowClient

    rest = uri.removeprefix("models:/")
    client = MlflowClient()
    if "@" in rest:
        name, alias = rest.split("@", 1)
        mv = client.get_model_version_by_alias(name, alias)
    elif "/" in rest:
        name, version = rest.split("/", 1)
        mv = client.get_model_version(name, version)
    else:
        return ModelInfo(uri=uri, name=rest)
    return ModelInfo(uri=uri, name=mv.name, version=str(mv.version), run_id=mv.run_id or "")


def _local_model_dir(path: Path, uri: str) -> tuple[Path, ModelInfo]:
    info = ModelInfo(uri=uri, name=path.name)
    manifest = path / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        model = data.get("model") if isinstance(data.get("model"), dict) else {}
        get = lambda *keys: next((str(d[k]) for d in (data, model) for k in keys if d.get(k)), "")  # noqa: E731
        info = ModelInfo(
            uri=get("model_uri", "modelUri", "uri") or uri,
            name=get("model_name", "modelName", "name"),
            version=get("model_version", "modelVersion", "version"),
            run_id=get("run_id", "runId"),
        )
    if (path / "MLmodel").exists():
        return path, info
    found = sorted(p.parent for p in path.glob("*/MLmodel")) + sorted(p.parent for p in path.glob("*/*/MLmodel"))
    if not found:
        raise FileNotFoundError(f"no MLmodel file in {path} or its sub-directories")
    return found[0], info


def _attach_sklearn(model: LoadedModel, path: Path) -> None:
    import mlflow.sklearn

    est = mlflow.sklearn.load_model(str(path))
    if not hasattr(est, "predict"):
        return
    schema = model.pyfunc.metadata.get_input_schema()
    if schema is not None:
        if not schema.has_input_names() or any(str(t) not in _NUMERIC for t in _type_names(schema)):
            return  # tensor or non-numeric signature: MLflow's own enforcement decides
        model.columns = list(schema.input_names())
        model.signature = True
    elif hasattr(est, "feature_names_in_"):
        model.columns = [str(c) for c in est.feature_names_in_]
    model.n_features = len(model.columns) if model.columns else getattr(est, "n_features_in_", None)
    model.classes = [c.item() if hasattr(c, "item") else c for c in getattr(est, "classes_", [])][:64]
    model.sklearn = est
    # The fast path checks finiteness itself and passes plain arrays to an estimator fitted on a DataFrame:
    # skip sklearn's second finiteness scan, and its per-call feature-name warning (per-request
    # `warnings.catch_warnings()` costs more than the prediction of a small linear model).
    import sklearn

    sklearn.set_config(assume_finite=True)
    warnings.filterwarnings("ignore", message="X does not have valid feature names")


def _type_names(schema: Any) -> list[str]:
    out = []
    for spec in schema.inputs:
        t = getattr(spec, "type", None)
        name = getattr(t, "name", None) or str(t)
        out.append(name if isinstance(name, str) else str(name))
    return out
