"""The `score` step of a model project's evaluation: MLflow's evaluation API, run in the project's environment.

Not imported by Sluicegate: the `evaluate-project` WorkflowTemplate inlines this file as the source of a
script step whose image is the project's environment (the `image` output of `build-env`), so the models
— the user's code — load in the environment the project declared, never in Sluicegate's venv. It imports
only the standard library, pandas and mlflow (which a project written for `mlflow run` has).

Reads `<in>/plan.json`, written by the `prepare` step (components.evaluate._prepare): the evaluation data
file, its target column, the model type, and the downloaded models (`candidate`, `champion`, or the
`constant` baseline: the most frequent class or the mean). Each is scored with `mlflow.models.evaluate`
into a throwaway local tracking store (this step gets no MLflow credentials); `<out>/<role>/metrics.json`
holds the metrics and `<out>/<role>/artifacts/` the plots and tables MLflow produced. A model that cannot
be scored is one line on stderr naming the model, the data and the fix, and exit code 2.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

__all__ = ["main", "score"]

PROG = "evaluate-project score"


def _fail(what: str, fix: str) -> None:
    print(f"{PROG}: error: {what}; {fix}", file=sys.stderr)
    where = os.environ.get("SLUICE_TERMINATION_LOG", "")  # the node's message (components._common.note)
    if where:
        with contextlib.suppress(OSError):
            Path(where).write_text(f"{what}; {fix}")
    raise SystemExit(2)


def _constant(data: Any, target: str, model_type: str) -> Any:
    import pandas as pd

    y = data[target]
    value = y.mode().iloc[0] if model_type == "classifier" else float(y.mean())
    return lambda frame: pd.Series([value] * len(frame))


def score(plan_dir: Path, out: Path) -> dict[str, dict[str, float]]:
    """Score every model of `plan_dir/plan.json`; returns the metrics by role and writes them under `out`."""
    # scipy.special before MLflow (when the environment has it): skops, MLflow's scikit-learn format, names each
    # of scipy's ufuncs by the first loaded module holding it, in import order; found before MLflow's ~2,000
    # modules, that scan costs ~1.2 CPU-s less per run (the same modules are loaded either way)
    with contextlib.suppress(ImportError):
        importlib.import_module("scipy.special")
    try:
        import mlflow
        import pandas as pd
    except ImportError as e:
        _fail(
            f"the project's environment cannot import {e.name} (python_env.yaml: dependencies)",
            "add mlflow and pandas to the project's dependencies; mlflow.models.evaluate runs there",
        )
    plan = json.loads((plan_dir / "plan.json").read_text())
    path = plan_dir / plan["data"]
    data = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    store = Path(tempfile.mkdtemp(prefix="scores-"))
    # a throwaway store: a file store is enough (and needs no migrations); MLflow 3 asks for the opt-in
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    mlflow.set_tracking_uri((store / "mlruns").as_uri())
    results: dict[str, dict[str, float]] = {}
    for entry in plan["models"]:
        role = entry["role"]
        if entry.get("path"):
            model: Any = str(plan_dir / entry["path"])
        else:
            model = _constant(data, plan["target"], plan["model_type"])
        with mlflow.start_run() as run, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = mlflow.models.evaluate(
                    model=model,
                    data=data,
                    targets=plan["target"],
                    model_type=plan["model_type"],
                    evaluators=["default"],
                )
            except Exception as e:
                first = (str(e).strip().splitlines() or [""])[0][:300]
                _fail(
                    f"{entry['label']}: cannot be scored on {plan['shown']} ({type(e).__name__}: {first})",
                    "log the model with an MLflow flavor that loads as pyfunc and takes the data's feature columns",
                )
            metrics = {k: float(v) for k, v in result.metrics.items() if isinstance(v, (int, float))}
            artifacts = Path(mlflow.get_artifact_uri().removeprefix("file://"))
        folder = out / role
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True))
        if artifacts.is_dir():
            shutil.copytree(artifacts, folder / "artifacts", dirs_exist_ok=True)
        results[role] = metrics
        print(f"{entry['label']} (run {run.info.run_id}): {len(metrics)} metrics")
    shutil.rmtree(store, ignore_errors=True)
    return results


def main() -> None:
    """`python _score.py [PLAN_DIR] [OUT_DIR]` (defaults: /tmp/evaluation, /tmp/scores)."""
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    plan_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/evaluation")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/scores")
    score(plan_dir, out)


if __name__ == "__main__":
    main()
