"""Every model type trains on every dataset with the fixed split, reproducibly, with all three metrics."""

import pytest

from components._common import DATASETS, classification_metrics, load_dataset, native_threads, split
from components.train import load_params
from components.train._estimators import build_estimator


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize(
    "overrides",
    [
        ["model.type=logistic_regression"],
        ["model.type=random_forest", "model.n_estimators=10"],
        ["model.type=gradient_boosting", "model.max_iter=10"],
    ],
    ids=["logistic_regression", "random_forest", "gradient_boosting"],
)
def test_estimator_fits_and_scores(dataset: str, overrides: list[str]) -> None:
    params = load_params(None, overrides, dataset=dataset)
    X_train, X_test, y_train, y_test = split(load_dataset(dataset), params.seed, params.test_size)
    scores = []
    for _ in range(2):
        with native_threads():
            model = build_estimator(params.model, params.seed).fit(X_train, y_train)
            scores.append(classification_metrics(y_test, model.predict(X_test), model.predict_proba(X_test)))
    assert scores[0] == scores[1]
    assert set(scores[0]) == {"accuracy", "f1", "roc_auc"}
    assert scores[0]["accuracy"] > 0.8


def test_split_is_fixed_and_stratified() -> None:
    data = load_dataset("wine")
    a = split(data, 42, 0.25)
    b = split(data, 42, 0.25)
    assert list(a[1].index) == list(b[1].index)
    assert set(a[3].unique()) == set(data.y.unique())
    assert list(split(data, 7, 0.25)[1].index) != list(a[1].index)
