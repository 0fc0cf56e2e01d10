"""The model server: MLflow's scoring protocol on a raw ASGI app, with Prometheus metrics.

`python -m components.serve --model-uri URI --host H --port P [--workers N] [--env-manager uv|local]`; a
drop-in for `mlflow models serve --env-manager uv` that names the model version in every answer.
"""

from components.serve._app import MAX_BODY, ServeApp, create_app
from components.serve._load import fetch, load, load_dir, served_here
from components.serve._metrics import Metrics
from components.serve._model import InputError, LoadedModel, ModelFailure, ModelInfo

__all__ = [
    "MAX_BODY",
    "InputError",
    "LoadedModel",
    "Metrics",
    "ModelFailure",
    "ModelInfo",
    "ServeApp",
    "create_app",
    "fetch",
    "load",
    "load_dir",
    "served_here",
]
