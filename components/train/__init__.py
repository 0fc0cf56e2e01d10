"""The `train` step: fit a scikit-learn model from a model project's `params.yaml`, log it, register it.

Called by the `train` WorkflowTemplate (`python -m components.train ...`), by `sluice demo` and by tests.
The parameter schema loads at once; the MLflow-backed parts load on first use (see `_common/_lazy.py`).
"""

from typing import TYPE_CHECKING

from components._common._lazy import lazy_getattr
from components.train._params import (
    FaultParams,
    GradientBoostingParams,
    LogisticRegressionParams,
    RandomForestParams,
    TrainParams,
    apply_overrides,
    load_params,
    validate_model_name,
)
from components.train._revision import resolve_revision

if TYPE_CHECKING:
    from components.train._fault import FAULT_MESSAGE, FaultyModel
    from components.train._train import TrainResult, train

__all__ = [
    "FAULT_MESSAGE",
    "FaultParams",
    "FaultyModel",
    "GradientBoostingParams",
    "LogisticRegressionParams",
    "RandomForestParams",
    "TrainParams",
    "TrainResult",
    "apply_overrides",
    "load_params",
    "resolve_revision",
    "train",
    "validate_model_name",
]

__getattr__ = lazy_getattr(
    __name__, {"FAULT_MESSAGE": "_fault", "FaultyModel": "_fault", "TrainResult": "_train", "train": "_train"}
)
