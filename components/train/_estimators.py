"""Builds the scikit-learn estimator a `ModelParams` describes.

Called by `components.train.train`. Every estimator gets the run's seed, so the same params and data give
the same model.
"""

from __future__ import annotations

from typing import Any

from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from components.train._params import (
    GradientBoostingParams,
    LogisticRegressionParams,
    ModelParams,
    RandomForestParams,
)

__all__ = ["build_estimator"]


def build_estimator(params: ModelParams, seed: int) -> Any:
    """A fresh, unfitted estimator for `params` (logistic regression comes inside a scaling pipeline)."""
    if isinstance(params, LogisticRegressionParams):
        return Pipeline(
            [
                ("scale", StandardScaler()),
                (
                    "classify",
                    LogisticRegression(
                        C=params.C, max_iter=params.max_iter, class_weight=params.class_weight, random_state=seed
                    ),
                ),
            ]
        )
    if isinstance(params, RandomForestParams):
        return RandomForestClassifier(
            n_estimators=params.n_estimators,
            max_depth=params.max_depth,
            min_samples_leaf=params.min_samples_leaf,
            max_features=params.max_features,
            random_state=seed,
            n_jobs=1,
        )
    if isinstance(params, GradientBoostingParams):
        return HistGradientBoostingClassifier(
            learning_rate=params.learning_rate,
            max_iter=params.max_iter,
            max_depth=params.max_depth,
            max_leaf_nodes=params.max_leaf_nodes,
            random_state=seed,
        )
    raise TypeError(f"no estimator for {type(params).__name__}")  # unreachable: ModelParams is a closed union
