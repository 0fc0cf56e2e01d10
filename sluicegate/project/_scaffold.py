"""`sluice init`: a working model project (an MLflow Project plus sluicegate.yaml) in a new git repository.

Called by `sluicegate.cli._project`. The project runs unchanged with `mlflow run .` and with Sluicegate's
`project-pipeline`. Its data is a small CSV made from a scikit-learn dataset (breast cancer for
`classification`, diabetes for `regression`), split once into `data/train.csv` and `data/eval.csv`; its
`python_env.yaml` pins the versions this stack runs, so the first environment build reuses uv's cache.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from sluicegate.errors import ConfigError

__all__ = ["TEMPLATES", "scaffold"]

TEMPLATES = ("classification", "regression")
_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,54}[a-z0-9])?$")

_MLPROJECT = """\
name: {name}
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      {param}: {{type: float, default: {default}}}
      seed: {{type: int, default: 42}}
    command: "python train.py --{param} {{{param}}} --seed {{seed}}"
"""

_PYTHON_ENV = """\
python: "{python}"
build_dependencies:
  - pip
dependencies:
  - mlflow=={mlflow}
  - scikit-learn=={sklearn}
  - pandas=={pandas}
"""

_SLUICEGATE = """\
# Sluicegate's part of this repository; schema: docs/sluicegate.schema.json in Sluicegate.
name: {name}
train:
  entry_point: main
evaluation:
  data: data/eval.csv
  target: target
  model_type: {model_type}
promotion:
  metric: {metric}
  min_relative_change: 0.005
# Short waits for a first project on one machine, the same limits: without these two lines, the stress test
# runs 30 s and the canary pauses 30 s, measures every 30 s over a 1m window (docs/model-projects.md).
stress_test: {{target_rps: 20, duration_seconds: 10, p99_latency_ms: 250, max_error_rate: 0.01}}
canary: {{min_success_rate: 0.99, max_p99_latency_ms: 250, pause: 10s, interval: 10s, count: 3, window: 30s}}
"""

_TRAIN_CLASSIFICATION = '''\
"""Train a classifier on data/train.csv and log it with MLflow (`mlflow run .` runs it too)."""

import argparse
from importlib.metadata import version

import mlflow
import mlflow.sklearn
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

#: What the logged model needs to be served: named (the versions this environment runs, as python_env.yaml
#: pins them) rather than inferred, which has MLflow load the model again in a subprocess to guess them.
REQUIREMENTS = [f"{name}=={version(name)}" for name in ("mlflow", "scikit-learn", "pandas", "skops")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    train = pd.read_csv("data/train.csv")
    X, y = train.drop(columns=["target"]), train["target"]
    with mlflow.start_run():
        mlflow.log_params({"C": args.C, "seed": args.seed})
        model = make_pipeline(StandardScaler(), LogisticRegression(C=args.C, max_iter=1000, random_state=args.seed))
        model.fit(X, y)
        mlflow.log_metric("train_accuracy", model.score(X, y))
        mlflow.sklearn.log_model(model, name="model", input_example=X.head(5), pip_requirements=REQUIREMENTS)


if __name__ == "__main__":
    main()
'''

_TRAIN_REGRESSION = '''\
"""Train a regressor on data/train.csv and log it with MLflow (`mlflow run .` runs it too)."""

import argparse
from importlib.metadata import version

import mlflow
import mlflow.sklearn
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

#: What the logged model needs to be served: named (the versions this environment runs, as python_env.yaml
#: pins them) rather than inferred, which has MLflow load the model again in a subprocess to guess them.
REQUIREMENTS = [f"{name}=={version(name)}" for name in ("mlflow", "scikit-learn", "pandas", "skops")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    train = pd.read_csv("data/train.csv")
    X, y = train.drop(columns=["target"]), train["target"]
    with mlflow.start_run():
        mlflow.log_params({"learning_rate": args.learning_rate, "seed": args.seed})
        model = HistGradientBoostingRegressor(learning_rate=args.learning_rate, random_state=args.seed)
        model.fit(X, y)
        mlflow.log_metric("train_r2", model.score(X, y))
        mlflow.sklearn.log_model(model, name="model", input_example=X.head(5), pip_requirements=REQUIREMENTS)


if __name__ == "__main__":
    main()
'''

_README = """\
# {name}

A model project for Sluicegate, made by `sluice init --template {template}`. It is an MLflow Project:

    mlflow run . -P {param}=0.5              # trains locally, as any MLflow Project
    sluice lint .                            # checks MLproject, sluicegate.yaml and python_env.yaml
    sluice project connect .                 # pushes to the `sluice` remote start the pipeline

- `MLproject`: the entry point `main` and its parameters; `python_env.yaml`: the environment.
- `train.py`: trains on `data/train.csv`, logs the model with `mlflow.sklearn.log_model`.
- `sluicegate.yaml`: the registered model name (also the Rollout's), the evaluation data
  (`data/eval.csv`, column `target`) and the promotion metric.
"""


def _data(template: str) -> tuple[str, str]:
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.model_selection import train_test_split

    loader = load_breast_cancer if template == "classification" else load_diabetes
    frame = loader(as_frame=True).frame
    frame.columns = [re.sub(r"[^a-z0-9]+", "_", str(c).lower()).strip("_") for c in frame.columns]
    stratify = frame["target"] if template == "classification" else None
    train, evaluate = train_test_split(frame, test_size=0.25, random_state=0, stratify=stratify)
    return train.to_csv(index=False), evaluate.to_csv(index=False)


def _git(root: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": os.environ.get("GIT_AUTHOR_NAME", "Sluicegate"),
        "GIT_AUTHOR_EMAIL": os.environ.get("GIT_AUTHOR_EMAIL", "sluice-init@sluicegate.invalid"),
        "GIT_COMMITTER_NAME": os.environ.get("GIT_COMMITTER_NAME", "Sluicegate"),
        "GIT_COMMITTER_EMAIL": os.environ.get("GIT_COMMITTER_EMAIL", "sluice-init@sluicegate.invalid"),
    }
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise ConfigError(f"git {args[0]} failed: {done.stderr.strip()[-200:]}", where=str(root), fix="check git")


def scaffold(root: Path, template: str = "classification", name: str = "") -> list[Path]:
    """Write a model project into the new or empty folder `root`, `git init` it and commit; returns the files.

    Raises:
        ConfigError: unknown template, invalid name, or `root` exists and is not empty.
    """
    if template not in TEMPLATES:
        raise ConfigError(
            f"unknown template {template!r}", where="--template", fix=f"use one of {', '.join(TEMPLATES)}"
        )
    name = name or re.sub(r"[^a-z0-9-]+", "-", root.resolve().name.lower()).strip("-")
    if not _NAME.match(name):
        raise ConfigError(
            f"model name {name!r} is not a DNS-1035 label",
            where="--name",
            fix="lowercase letters, digits and '-', starting with a letter, 1-56 characters",
        )
    if root.exists() and any(root.iterdir()):
        raise ConfigError("the folder exists and is not empty", where=str(root), fix="pass a new or empty folder")
    classification = template == "classification"
    param, default = ("C", "1.0") if classification else ("learning_rate", "0.05")
    train_csv, eval_csv = _data(template)
    files = {
        "MLproject": _MLPROJECT.format(name=name, param=param, default=default),
        "python_env.yaml": _PYTHON_ENV.format(
            python="{}.{}".format(*sys.version_info[:2]),
            mlflow=version("mlflow"),
            sklearn=version("scikit-learn"),
            pandas=version("pandas"),
        ),
        "sluicegate.yaml": _SLUICEGATE.format(
            name=name,
            model_type="classifier" if classification else "regressor",
            metric="accuracy_score" if classification else "root_mean_squared_error",
        ),
        "train.py": _TRAIN_CLASSIFICATION if classification else _TRAIN_REGRESSION,
        "README.md": _README.format(name=name, template=template, param=param),
        "data/train.csv": train_csv,
        "data/eval.csv": eval_csv,
        ".gitignore": "mlruns/\n__pycache__/\n",
    }
    if not classification:  # the entry point's parameter is spelled like train.py's flag
        files["MLproject"] = files["MLproject"].replace(
            "--learning_rate {learning_rate}", "--learning-rate {learning_rate}"
        )
    written = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    _git(root, "init", "-q", "--initial-branch=main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", f"{name}: model project from sluice init --template {template}")
    return written
