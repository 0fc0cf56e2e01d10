"""Classification metrics shared by train (what it logs) and evaluate (what it compares).

Called by `components.train` and `components.evaluate`, so a score means the same thing in both.
"""

from __future__ import annotations

from typing import Any

__all__ = ["METRICS", "classification_metrics"]

#: Metric names, in the order reports show them. `roc_auc` is present only when probabilities are known.
METRICS: tuple[str, ...] = ("accuracy", "f1", "roc_auc")


def classification_metrics(y_true: Any, y_pred: Any, proba: Any | None = None) -> dict[str, float]:
    """`accuracy`, macro `f1`, and `roc_auc` (binary, or one-vs-rest macro for multi-class) when `proba` is given."""
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    metrics = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1": float(f1_score(y_true, y_pred, average="macro")),
    }
    if proba is not None:
        p = np.asarray(proba)
        if p.ndim == 2 and p.shape[1] == 2:
            metrics["roc_auc"] = float(roc_auc_score(y_true, p[:, 1]))
        elif p.ndim == 2:
            metrics["roc_auc"] = float(roc_auc_score(y_true, p, multi_class="ovr", average="macro"))
    return metrics
