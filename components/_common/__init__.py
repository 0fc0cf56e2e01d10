"""Helpers shared by the step components (train, evaluate, build, stress-test); never imported by the runtime.

Called by every `components.<name>` CLI: one-line user errors, Argo output files, the bundled scikit-learn
datasets and their fixed split, the connection to the MLflow tracking server, and the `auto` build target.
The REST client of the steps that need no mlflow (`rest_client`) loads on first use (see `_lazy.py`).
"""

from typing import TYPE_CHECKING

from components._common._cli import TERMINATION_LOG_ENV, OneLineParser, UserError, note, run_cli
from components._common._datasets import DATASETS, Dataset, load_dataset, split
from components._common._lazy import lazy_getattr
from components._common._metrics import METRICS, classification_metrics
from components._common._mlflow import (
    check_reachable,
    connect,
    mlflow_errors,
    parse_models_uri,
    run_started,
    use_experiment,
)
from components._common._outputs import DEFAULT_OUTPUTS_DIR, write_outputs
from components._common._sigterm import Terminated
from components._common._target import resolve_target
from components._common._threads import native_threads

if TYPE_CHECKING:
    from components._common._rest import MlflowRest, MlflowRestError, rest_client, rest_errors

__all__ = [
    "DATASETS",
    "DEFAULT_OUTPUTS_DIR",
    "METRICS",
    "TERMINATION_LOG_ENV",
    "Dataset",
    "MlflowRest",
    "MlflowRestError",
    "OneLineParser",
    "Terminated",
    "UserError",
    "check_reachable",
    "classification_metrics",
    "connect",
    "load_dataset",
    "mlflow_errors",
    "native_threads",
    "note",
    "parse_models_uri",
    "resolve_target",
    "rest_client",
    "rest_errors",
    "run_cli",
    "run_started",
    "split",
    "use_experiment",
    "write_outputs",
]

__getattr__ = lazy_getattr(
    __name__, dict.fromkeys(("MlflowRest", "MlflowRestError", "rest_client", "rest_errors"), "_rest")
)
