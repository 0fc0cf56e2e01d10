"""The model server: MLflow's scoring protocol on a raw ASGI app, with Prometheus metrics.

`python -m components.serve --model-uri URI --host H --port P [--workers N] [--env-manager uv|local]`; a
drop-in for `mlflow models serve --env-manager uv` that names the model version in every answer.

The names below are imported on first use: `python -m components.serve` imports this package before its
`__main__`, which must set the native thread count before numpy loads its BLAS (numpy reads it then, once).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOME = {
    "MAX_BODY": "_app",
    "ServeApp": "_app",
    "create_app": "_app",
    "fetch": "_load",
    "load": "_load",
    "load_dir": "_load",
    "served_here": "_load",
    "Metrics": "_metrics",
    "InputError": "_model",
    "LoadedModel": "_model",
    "ModelFailure": "_model",
    "ModelInfo": "_model",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
