"""The `train` step: fit a scikit-learn model from a model project's `params.yaml`, log it, register it.

Called by the `train` WorkflowTemplate (`python -m components.train ...`), by `sluice demo` and by tests.
"""

from components.train._fault import FAULT_MESSAGE, FaultyModel
from components.train._params import (
    FaultParams,
    GradientBoostingParams,
    LogisticRegressionParams,
    RandomForestParams,
    TrainParams,
    apply_overrides,
    load_params,
)
from components.train._train import TrainResult, train, validate_model_name

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
    "train",
    "validate_model_name",
]
