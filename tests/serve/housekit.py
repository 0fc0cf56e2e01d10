"""A house-price regression of the second sample's shape: LightGBM/XGBoost, pandas preprocessing in a pyfunc.

Shared by the serving tests and bench/bench_serving.py. Data is generated (seeded), so nothing is fetched.
The custom pyfunc is pickled by value, so it loads in the environment MLflow logs with it.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import cloudpickle
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import infer_signature

HOODS = ["north", "south", "east", "west", "centre"]


def requirements(library: str) -> list[str]:
    """The pip requirements of a model of `library`, pinned to this interpreter's versions.

    What MLflow's inference finds for these models, less what it picks up from the saving process: left
    to MLflow, each save loads the model again in a subprocess to infer them (~9 s of CPU).
    """
    own = f"{library}=={__import__(library).__version__}"  # as MLflow names it (installed here as xgboost-cpu)
    return [
        f"mlflow=={version('mlflow')}",
        own,
        *(f"{n}=={version(n)}" for n in ("cloudpickle", "numpy", "pandas", "scikit-learn", "scipy")),
    ]


def house_data(n: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "sqft": rng.uniform(400, 4000, n).round(1),
            "bedrooms": rng.integers(1, 6, n),
            "year_built": rng.integers(1900, 2024, n),
            "neighborhood": rng.choice(HOODS, n),
            "lot_size": rng.uniform(0, 2, n).round(3),
        }
    )
    bonus = df["neighborhood"].map(dict(zip(HOODS, [5e4, 0, 2e4, -1e4, 8e4], strict=True)))
    price = 50 * df["sqft"] ** 0.9 + 1e4 * df["bedrooms"] - 300 * (2026 - df["year_built"]) + bonus
    return df, (price + rng.normal(0, 1e4, n)).rename("price")


def features(d: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "log_sqft": np.log1p(d["sqft"]),
            "bedrooms": d["bedrooms"].astype("float64"),
            "age": 2026 - d["year_built"],
            "lot": d["lot_size"],
            "sqft_per_bed": d["sqft"] / d["bedrooms"],
        }
    )
    for h in HOODS:
        out["hood_" + h] = (d["neighborhood"] == h).astype("float64")
    return out


class HousePrice(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """Preprocesses with pandas, then asks a LightGBM booster."""

    def load_context(self, context: Any) -> None:
        import lightgbm

        self.booster = lightgbm.Booster(model_file=context.artifacts["booster"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
        return self.booster.predict(features(model_input))


def save_house_pyfunc(path: Path) -> Path:
    """The custom pyfunc (LightGBM inside), with signature and a 5-row input example."""
    import lightgbm as lgb

    X, y = house_data()
    booster = lgb.train({"objective": "regression", "verbose": -1, "num_threads": 1}, lgb.Dataset(features(X), y), 60)
    path.parent.mkdir(parents=True, exist_ok=True)
    booster_file = path.parent / f"{path.name}-booster.txt"
    booster.save_model(str(booster_file))
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    mlflow.pyfunc.save_model(
        str(path),
        python_model=HousePrice(),
        artifacts={"booster": str(booster_file)},
        signature=infer_signature(X, y.to_numpy()),
        input_example=X.head(5),
        pip_requirements=requirements("lightgbm"),
    )
    return path


def numeric_house() -> tuple[pd.DataFrame, pd.Series]:
    X, y = house_data()
    return features(X), y


def save_lightgbm(path: Path) -> Path:
    """An LGBMRegressor on the numeric features, logged with the lightgbm flavor."""
    import lightgbm as lgb
    import mlflow.lightgbm

    X, y = numeric_house()
    model = lgb.LGBMRegressor(n_estimators=40, verbose=-1, n_jobs=1).fit(X, y)
    signature = infer_signature(X, model.predict(X))
    reqs = requirements("lightgbm")
    mlflow.lightgbm.save_model(model, str(path), signature=signature, input_example=X[:3], pip_requirements=reqs)
    return path


def save_xgboost(path: Path) -> Path:
    """An XGBRegressor on the numeric features, logged with the xgboost flavor."""
    import mlflow.xgboost
    import xgboost as xgb

    X, y = numeric_house()
    model = xgb.XGBRegressor(n_estimators=40, max_depth=4, n_jobs=1).fit(X, y)
    signature = infer_signature(X, model.predict(X))
    reqs = requirements("xgboost")
    mlflow.xgboost.save_model(model, str(path), signature=signature, input_example=X[:3], pip_requirements=reqs)
    return path
