"""The datasets a model can train on (those shipped inside scikit-learn, so nothing is downloaded).

Called by train, evaluate and stress-test: the same name, seed and test size always give the same
holdout, which is what lets evaluate compare two model versions fairly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from components._common._cli import UserError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DATASETS", "Dataset", "load_dataset", "split"]

#: Accepted dataset names, default first; each is `sklearn.datasets.load_<name>`.
DATASETS: tuple[str, ...] = ("breast_cancer", "wine", "digits")


@dataclass(frozen=True)
class Dataset:
    """Features (a DataFrame with the dataset's column names) and integer labels."""

    name: str
    X: pd.DataFrame
    y: pd.Series

    @property
    def n_classes(self) -> int:
        """Number of distinct labels."""
        return int(self.y.nunique())


def load_dataset(name: str) -> Dataset:
    """Load a bundled scikit-learn dataset by name.

    Raises:
        UserError: unknown name (the message lists the accepted names).
    """
    if name not in DATASETS:
        raise UserError(f"unknown dataset {name!r}", fix=f"accepted values: {', '.join(DATASETS)}")
    from sklearn import datasets  # imported here: a CLI that rejects its input should not pay for it

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    X = bunch.data.astype("float64")
    X.columns = [str(c) for c in X.columns]
    return Dataset(name=name, X=X, y=bunch.target.astype("int64"))


def split(data: Dataset, seed: int, test_size: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """The fixed, stratified train/test split: `(X_train, X_test, y_train, y_test)`."""
    from sklearn.model_selection import train_test_split

    parts = train_test_split(data.X, data.y, test_size=test_size, random_state=seed, stratify=data.y)
    return parts[0], parts[1], parts[2], parts[3]
