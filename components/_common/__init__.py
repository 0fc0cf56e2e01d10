"""Helpers shared by the step components (train, evaluate, build, stress-test); never imported by the runtime.

Called by every `components.<name>` CLI: one-line user errors, Argo output files, the bundled scikit-learn
datasets and their fixed split, and the connection to the MLflow tracking server.
"""

from components._common._cli import OneLineParser, Terminated, UserError, run_cli
from components._common._datasets import DATASETS, Dataset, load_dataset, split
from components._common._metrics import METRICS, classification_metrics
from components._common._mlflow import check_reachable, connect, mlflow_errors, parse_models_uri, use_experiment
from components._common._outputs import DEFAULT_OUTPUTS_DIR, write_outputs
from components._common._threads import native_threads

__all__ = [
    "DATASETS",
    "DEFAULT_OUTPUTS_DIR",
    "METRICS",
    "Dataset",
    "OneLineParser",
    "Terminated",
    "UserError",
    "check_reachable",
    "classification_metrics",
    "connect",
    "load_dataset",
    "mlflow_errors",
    "native_threads",
    "parse_models_uri",
    "run_cli",
    "split",
    "use_experiment",
    "write_outputs",
]
