"""Fetching the model a server answers with, deciding where it runs, and loading it.

Called by `components.serve.__main__` (fetch, then either serve here or in the model's own environment)
and by the ASGI app's workers (`load`). A model is served in this interpreter only when its flavor has the
numpy fast path here (scikit-learn, XGBoost, LightGBM at the version the model was logged with) or when it
was logged by Sluicegate's own code (the built-in trainer); everything else runs in the environment MLflow
logged with it (`components.serve._env`).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from components.serve._flavors import FLAVOR_PACKAGES, library_matches, native_fast_model, pinned
from components.serve._frames import column_signature, unchecked
from components.serve._model import LoadedModel, ModelInfo
from contract import ModelUri

__all__ = ["BATCHING_KEY", "INFO_ENV", "batching_choice", "fetch", "load", "load_dir", "served_here"]

#: The model's own say on stacking, in the MLmodel `metadata` given to `log_model`: {"sluicegate": {"batching": B}}.
BATCHING_KEY = "batching"

#: Environment variable carrying the model's identity (JSON) into the process serving it in its environment.
INFO_ENV = "SLUICE_SERVE_MODEL_INFO"

#: A requirement line that pins one version of one distribution, and nothing else (no extra, marker or comment).
_EXACT_PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)")


def fetch(uri: str, tracking_uri: str | None = None) -> tuple[Path, ModelInfo]:
    """The local MLflow model folder for `uri` (downloaded for `models:/`) and the model's identity."""
    import mlflow

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
    if uri.startswith("models:/"):
        info = _registry_info(uri)
        local = Path(tempfile.mkdtemp(prefix="sluice-serve-"))
        atexit.register(shutil.rmtree, local, True)
        path = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(local)))
        return path, info
    path = Path(uri.removeprefix("file://"))
    path, info = _local_model_dir(path, uri)
    passed = os.environ.get(INFO_ENV)
    if passed:
        info = ModelInfo(**json.loads(passed))
    return path, info


def served_here(path: Path) -> bool:
    """Whether the model at `path` is served in this interpreter (else: in its own environment).

    True for a flavor with the fast path here, and for a model logged by Sluicegate's own code (its
    requirements pin this very `sluicegate`, which is not on PyPI: the built-in trainer's models).
    """
    from importlib.metadata import PackageNotFoundError, version

    from mlflow.models import Model

    try:
        ours = version("sluicegate")
    except PackageNotFoundError:
        ours = ""
    if ours and pinned(path).get("sluicegate") == ours:
        return True
    flavor = str(Model.load(str(path)).flavors.get("python_function", {}).get("loader_module", ""))
    return flavor in FLAVOR_PACKAGES and library_matches(flavor, path)


def load(uri: str, tracking_uri: str | None = None) -> LoadedModel:
    """Fetch and load `models:/NAME/VERSION`, `models:/NAME@ALIAS`, a local model dir or a `build` bundle."""
    path, info = fetch(uri, tracking_uri)
    return load_dir(path, info)


def load_dir(path: Path, info: ModelInfo) -> LoadedModel:
    """Load the MLflow model at `path` in this interpreter, with its fast or stacked path when it has one."""
    import mlflow.pyfunc

    pyfunc = mlflow.pyfunc.load_model(str(path), suppress_warnings=_nothing_to_warn(path))
    model = LoadedModel(info=info, pyfunc=pyfunc, fast=native_fast_model(pyfunc))
    if model.fast is None:
        model.sig = column_signature(pyfunc.metadata)
        if model.sig is not None:
            model.unchecked = unchecked(pyfunc)
        choice = batching_choice(pyfunc.metadata)
        model.stack = model.sig is not None and (_rows_independent(pyfunc) if choice is None else choice)
    return model


def _nothing_to_warn(path: Path) -> bool:
    """Whether MLflow's load-time warnings would find nothing to say about this model (then it need not look).

    `mlflow.pyfunc.load_model` warns when the model's Python `major.minor` is not this one's and when one of its
    requirements is not met here; for the latter it first maps every installed distribution to its modules
    (~0.4 s of CPU). When the model names this Python and every requirement line is an exact pin of the version
    installed here (the models this server runs itself, see `served_here`), both checks pass: True. Anything
    else (no Python version, a range, a marker, an extra, another version): False, and MLflow looks and warns.
    """
    from importlib.metadata import PackageNotFoundError, version

    import mlflow
    from mlflow.models import Model

    try:
        logged = str(Model.load(str(path)).flavors.get("python_function", {}).get("python_version") or "")
        file = path / "requirements.txt"
        lines = file.read_text(encoding="utf-8").splitlines() if file.exists() else []
    except Exception:
        return False
    if not logged or logged.split(".")[:2] != [str(sys.version_info.major), str(sys.version_info.minor)]:
        return False
    for line in map(str.strip, lines):
        if not line or line.startswith("#"):
            continue
        pin = _EXACT_PIN.fullmatch(line)
        if pin is None:
            return False
        name, pinned = pin.groups()
        try:
            have = mlflow.__version__ if name == "mlflow" else version(name)
        except PackageNotFoundError:
            return False
        if have != pinned:
            return False
    return True


def batching_choice(metadata: Any) -> bool | None:
    """The model's `metadata: {sluicegate: {batching: true|false}}` (None: not said; the example decides).

    Raises:
        ValueError: the setting is there but not a boolean (naming the key and the fix).
    """
    meta = getattr(metadata, "metadata", None) or {}
    ours = meta.get("sluicegate") if isinstance(meta, dict) else None
    if not isinstance(ours, dict) or BATCHING_KEY not in ours:
        return None
    value = ours[BATCHING_KEY]
    if not isinstance(value, bool):
        raise ValueError(
            f"MLmodel metadata.sluicegate.{BATCHING_KEY} is {value!r}, not true or false; fix: log the model with "
            f'metadata={{"sluicegate": {{"{BATCHING_KEY}": False}}}} (or True), or leave it out'
        )
    return value


def _rows_independent(pyfunc: Any) -> bool:
    """Whether the model answers each row of its input example the same alone as stacked (else: no stacking).

    Requests are stacked only when the model's input example has at least two distinct rows and scores them
    the same alone as together (and in reverse order): a model whose answer depends on the other rows of
    its input (batch statistics, ranks, sequences) shows it there. Without such an example nothing proves
    it, so requests are scored one by one unless the model says `batching: true` (see `batching_choice`).
    """
    import pandas as pd

    try:
        example = pyfunc.input_example
    except Exception:
        return False
    if not isinstance(example, pd.DataFrame) or len(example.drop_duplicates()) < 2:
        return False
    from mlflow.utils.proto_json_utils import NumpyEncoder, _get_jsonable_obj

    def as_json(data: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = pyfunc.predict(data)
        return json.loads(json.dumps(_get_jsonable_obj(raw, pandas_orient="records"), cls=NumpyEncoder))

    try:
        together = as_json(example)
        backwards = as_json(example.iloc[::-1].reset_index(drop=True))
        alone = [as_json(example.iloc[[i]].reset_index(drop=True)) for i in range(len(example))]
    except Exception:
        return False  # the example does not score (old example, params...): nothing proves rows independent
    if not isinstance(together, list) or not isinstance(backwards, list) or len(together) != len(example):
        return False
    flat = [x for part in alone for x in (part if isinstance(part, list) else [part])]
    return bool(flat == together == backwards[::-1])


def _registry_info(uri: str) -> ModelInfo:
    from mlflow import MlflowClient

    parsed = ModelUri.parse(uri) or ModelUri(uri.removeprefix("models:/"))
    client = MlflowClient()
    if parsed.alias:
        mv = client.get_model_version_by_alias(parsed.name, parsed.alias)
    elif parsed.version:
        mv = client.get_model_version(parsed.name, parsed.version)
    else:
        return ModelInfo(uri=uri, name=parsed.name)
    return ModelInfo(uri=uri, name=mv.name, version=str(mv.version), run_id=mv.run_id or "")


def _local_model_dir(path: Path, uri: str) -> tuple[Path, ModelInfo]:
    info = ModelInfo(uri=uri, name=path.name)
    manifest = path / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        model = data.get("model") if isinstance(data.get("model"), dict) else {}

        def get(*keys: str) -> str:
            return next((str(d[k]) for d in (data, model) for k in keys if d.get(k)), "")

        info = ModelInfo(
            uri=get("model_uri", "modelUri", "uri") or uri,
            name=get("model_name", "modelName", "name"),
            version=get("model_version", "modelVersion", "version"),
            run_id=get("run_id", "runId"),
        )
    if (path / "MLmodel").exists():
        return path, info
    found = sorted(p.parent for p in path.glob("*/MLmodel")) + sorted(p.parent for p in path.glob("*/*/MLmodel"))
    if not found:
        raise FileNotFoundError(f"no MLmodel file in {path} or its sub-directories")
    return found[0], info
