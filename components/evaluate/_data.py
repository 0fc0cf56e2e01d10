"""A model project's evaluation data: where it is (a repository path or an MLflow URI) and its checks.

Called by the `prepare` step (components.evaluate._prepare). A bad `evaluation` block of sluicegate.yaml —
a missing file, an unreadable one, no target column, no rows — is a `UserError` naming the file, the key
and the fix, raised before any model is downloaded or loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components._common import UserError
from components.project import CONFIG_FILE, ProjectConfig

__all__ = ["data_source", "read_evaluation_data"]

_URI_PREFIXES = ("runs:/", "models:/", "mlflow-artifacts:/")


def data_source(root: Path, config: ProjectConfig) -> tuple[Path, str]:
    """The local file holding the evaluation data (downloaded when it is an MLflow URI) and its shown name.

    Raises:
        UserError: the repository file does not exist, or the URI cannot be downloaded.
    """
    ev = config.evaluation
    key = f"{CONFIG_FILE}: evaluation.data"
    if "://" in ev.data or ev.data.startswith(_URI_PREFIXES):
        import mlflow

        try:
            return Path(mlflow.artifacts.download_artifacts(artifact_uri=ev.data)), ev.data
        except Exception as e:
            raise UserError(f"{key}: cannot download {ev.data} ({e})", fix="name an existing MLflow artifact") from e
    path = root / ev.data
    if not path.is_file():
        raise UserError(f"{key}: {ev.data} does not exist in the repository", fix="commit the file or fix the path")
    return path, ev.data


def read_evaluation_data(path: Path, shown: str, config: ProjectConfig) -> Any:
    """The evaluation DataFrame, checked for its target column and at least one row.

    Raises:
        UserError: the file cannot be read as CSV/Parquet, it has no target column, or no rows.
    """
    import pandas as pd

    target = config.evaluation.target
    try:
        data = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except Exception as e:
        raise UserError(f"{shown}: cannot read it as {path.suffix or 'CSV'} ({e})", fix="write it with pandas") from e
    if target not in data.columns:
        columns = ", ".join(map(str, list(data.columns)[:12]))
        raise UserError(
            f"{shown}: no column {target!r} ({CONFIG_FILE}: evaluation.target); its columns: {columns}",
            fix="set evaluation.target to the label column, or add it to the data",
        )
    if data.empty:
        raise UserError(f"{shown}: has no rows", fix="commit evaluation data with at least one row")
    return data
