"""Disease progression from the diabetes data: pandas feature engineering + LightGBM, as one custom pyfunc.

Runs as `mlflow run .` or through Sluicegate's project-pipeline, unchanged. The logged model is a
`python_function` model whose `predict` applies the same preprocessing as training (derived features,
column order), so callers send the raw columns of `data/eval.csv` without `progression`.
"""

from __future__ import annotations

import argparse

import lightgbm as lgb
import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd

FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def preprocess(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw columns -> model features: the ten measurements plus two derived ones, in a fixed order."""
    frame = raw[FEATURES].astype("float64")
    frame = frame.assign(bmi_bp=frame["bmi"] * frame["bp"], s5_minus_s3=frame["s5"] - frame["s3"])
    return frame


class ProgressionModel(mlflow.pyfunc.PythonModel):
    """The fitted booster behind `preprocess`."""

    def __init__(self, booster: lgb.LGBMRegressor) -> None:
        self.booster = booster

    def predict(self, context, model_input: pd.DataFrame, params=None) -> np.ndarray:
        return self.booster.predict(preprocess(model_input))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--num-leaves", type=int, default=15)
    parser.add_argument("--n-estimators", type=int, default=200)
    args = parser.parse_args()
    train = pd.read_csv("data/train.csv")
    X, y = train.drop(columns=["progression"]), train["progression"]
    with mlflow.start_run():
        mlflow.log_params(vars(args))
        booster = lgb.LGBMRegressor(
            learning_rate=args.learning_rate,
            num_leaves=args.num_leaves,
            n_estimators=args.n_estimators,
            random_state=0,
            n_jobs=1,
            verbose=-1,
        ).fit(preprocess(X), y)
        rmse = float(np.sqrt(np.mean((booster.predict(preprocess(X)) - y) ** 2)))
        mlflow.log_metric("train_rmse", rmse)
        mlflow.pyfunc.log_model(
            name="model",
            python_model=ProgressionModel(booster),
            input_example=X.head(3),
            pip_requirements=["mlflow==3.17.2", "lightgbm==4.7.0", "pandas==3.1.1", "scikit-learn==1.9.1"],
        )


if __name__ == "__main__":
    main()
