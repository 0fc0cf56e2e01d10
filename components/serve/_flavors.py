"""The numpy fast path: scikit-learn, XGBoost and LightGBM models called directly on a float64 matrix.

Called by `components.serve._model.load`. MLflow's pyfunc for these flavors only forwards a DataFrame to
the flavor's own model; calling that model on the same values as a matrix skips the DataFrame. A flavor's
fast path is used only when
- this interpreter has the flavor's library at the version the model was logged with (`requirements.txt`
  of the model; otherwise the model is served in its own environment, see `components.serve._env`), and
- the fast path answers exactly what the pyfunc answers on the model's input example (or a few made-up
  rows when it has none): checked once at load, so a flavor whose native call differs is never fast.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from components.serve._pins import pin_of

__all__ = ["FLAVOR_PACKAGES", "FastModel", "flavor_of", "library_matches", "native_fast_model", "pinned"]

#: pyfunc loader module -> (PyPI package in requirements.txt, importable module).
FLAVOR_PACKAGES: dict[str, tuple[str, str]] = {
    "mlflow.sklearn": ("scikit-learn", "sklearn"),
    "mlflow.xgboost": ("xgboost", "xgboost"),
    "mlflow.lightgbm": ("lightgbm", "lightgbm"),
}
_NUMERIC = {"double", "float", "long", "integer"}


@dataclass
class FastModel:
    """A flavor's own model and how to call it on a float64 matrix whose columns are `columns`."""

    flavor: str
    model: Any
    columns: list[str] | None
    n_features: int | None
    signature: bool
    classes: list[Any]

    def predict(self, matrix: np.ndarray) -> Any:
        """Predictions as the pyfunc would return them, for rows of `matrix`."""
        if self.flavor == "mlflow.xgboost":
            import xgboost as xgb

            if isinstance(self.model, xgb.Booster):
                names = self.model.feature_names or self.columns
                return self.model.predict(xgb.DMatrix(matrix, feature_names=names))
        return self.model.predict(matrix)


def flavor_of(pyfunc: Any) -> str:
    """The pyfunc loader module of a loaded model (`mlflow.sklearn`, `mlflow.pyfunc.model`, ...)."""
    return str(pyfunc.metadata.flavors.get("python_function", {}).get("loader_module", ""))


def pinned(model_dir: Path) -> dict[str, str]:
    """`name==version` pins of the model's `requirements.txt`, names as PEP 503 compares them ({} when none)."""
    try:
        text = (model_dir / "requirements.txt").read_text(encoding="utf-8")
    except OSError:
        return {}
    return dict(pin for pin in map(pin_of, text.splitlines()) if pin is not None)


def library_matches(flavor: str, model_dir: Path) -> bool:
    """Whether this interpreter has the flavor's library at exactly the version the model pins."""
    if flavor not in FLAVOR_PACKAGES:
        return False
    package, module = FLAVOR_PACKAGES[flavor]
    want = pinned(model_dir).get(package)
    if not want:
        return False
    try:
        have = str(__import__(module).__version__)
    except Exception:
        return False
    return have == want


def native_fast_model(pyfunc: Any) -> FastModel | None:
    """The fast path for a scikit-learn/XGBoost/LightGBM pyfunc, or None when it cannot give its answers."""
    flavor = flavor_of(pyfunc)
    if flavor not in FLAVOR_PACKAGES:
        return None
    try:
        raw = pyfunc.get_raw_model()
    except Exception:
        return None
    if not hasattr(raw, "predict"):
        return None
    schema = pyfunc.metadata.get_input_schema()
    columns: list[str] | None = None
    signature = False
    if schema is not None:
        if not schema.has_input_names() or any(_type_name(s) not in _NUMERIC for s in schema.inputs):
            return None  # tensor or non-numeric signature: MLflow's own enforcement decides
        columns, signature = list(schema.input_names()), True
    elif hasattr(raw, "feature_names_in_"):
        columns = [str(c) for c in raw.feature_names_in_]
    n_features = len(columns) if columns else getattr(raw, "n_features_in_", None)
    classes = [c.item() if hasattr(c, "item") else c for c in getattr(raw, "classes_", [])][:64]
    fast = FastModel(flavor, raw, columns, n_features, signature, classes)
    if flavor == "mlflow.sklearn":
        # The fast path checks finiteness itself and passes plain arrays to an estimator fitted on a DataFrame:
        # skip sklearn's second finiteness scan and its per-call feature-name warning.
        import sklearn

        sklearn.set_config(assume_finite=True)
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    return fast if _same_answers(pyfunc, fast) else None


def _type_name(spec: Any) -> str:
    t = getattr(spec, "type", None)
    name = getattr(t, "name", None) or str(t)
    return name if isinstance(name, str) else str(name)


def _probe(pyfunc: Any, fast: FastModel) -> Any:
    import pandas as pd

    example = None
    try:
        example = pyfunc.input_example
    except Exception:
        example = None
    if isinstance(example, pd.DataFrame) and len(example) and (not fast.columns or set(fast.columns) <= set(example)):
        frame = example[fast.columns] if fast.columns else example
        if all(np.issubdtype(t, np.number) for t in frame.dtypes):
            return frame
    width = fast.n_features or (len(fast.columns) if fast.columns else 0)
    if not width:
        return None
    values = np.array([[0.0] * width, [1.0] * width, [float(i % 7) - 3.0 for i in range(width)]])
    names = fast.columns or [f"c{i}" for i in range(width)]
    if fast.signature:
        return pd.DataFrame(values, columns=names).astype(_dtypes(pyfunc, names))
    return pd.DataFrame(values, columns=names) if fast.columns else values


def _dtypes(pyfunc: Any, names: list[str]) -> dict[str, Any]:
    schema = pyfunc.metadata.get_input_schema()
    return dict(zip(names, schema.pandas_types(), strict=True))


def _same_answers(pyfunc: Any, fast: FastModel) -> bool:
    """Whether the fast path answers as the pyfunc on the probe rows (JSON of both, as served)."""
    import json

    from mlflow.utils.proto_json_utils import NumpyEncoder, _get_jsonable_obj

    probe = _probe(pyfunc, fast)
    if probe is None:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = pyfunc.predict(probe)
            matrix = np.asarray(probe, dtype=np.float64)
            got = fast.predict(matrix)
    except Exception:
        return False
    want = json.loads(json.dumps(_get_jsonable_obj(expected, pandas_orient="records"), cls=NumpyEncoder))
    have = np.asarray(got).tolist()
    return bool(want == have)
