"""The `prepare` step of a model project's evaluation: check the data, fetch the models, hand out the limits.

Called by `python -m components.evaluate prepare` (first task of the `evaluate-project` template) and by
tests. Runs in the components image with the MLflow credentials; the next task (`score`, in the project's
environment, without credentials) reads only what this one writes into `--out`:

- `plan.json`: the evaluation data file, its target column, model type, and the models to score;
- the data file (as committed, or downloaded from its MLflow URI) — checked here for its target column, so
  a bad `evaluation` block fails before any model is loaded;
- `candidate/` and `champion/`: the candidate version and the `champion` alias, downloaded (no champion,
  or the candidate already is it: the `constant` baseline instead, which `score` builds from the data);

and, at `--rows`, up to 200 rows of the data without the target as a `dataframe_split` document: the rows
the stress test sends (its `--rows-file`).

Output parameters: `champion-version`, sluicegate.yaml's stress-test and canary limits for the deploy
steps (`target-rps`, `stress-duration-seconds`, `p99-latency-ms`, `max-error-rate`, `canary-*`), and
`stress-rows`: the first evaluation rows as base64 `dataframe_split`, which the Rollout's stress-test
analysis sends to the canary (the model's own columns, not a bundled dataset's).
"""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components._common import UserError, connect, mlflow_errors, write_outputs
from components.evaluate._data import data_source, read_evaluation_data
from components.project import ProjectConfig, load_config

__all__ = ["ANALYSIS_ROWS", "ANALYSIS_ROWS_BYTES", "PAYLOAD_ROWS", "Prepared", "limits", "prepare", "stress_rows"]

#: Rows of the evaluation data the stress test cycles through.
PAYLOAD_ROWS = 200
#: The canary analysis' rows (output `stress-rows`): at most this many, and at most this much base64 (it
#: travels in the Rollout's analysis arguments to the stress-test Job), but always one.
ANALYSIS_ROWS, ANALYSIS_ROWS_BYTES = 20, 8192


@dataclass(frozen=True)
class Prepared:
    """What `prepare` fetched: the model name, candidate and champion versions, and the step outputs."""

    model_name: str
    candidate_version: str
    champion_version: str | None
    outputs: dict[str, str]


def _number(value: float) -> str:
    return f"{value:g}"


def limits(config: ProjectConfig) -> dict[str, str]:
    """sluicegate.yaml's stress-test and canary limits, named as the deploy steps' parameters."""
    s, c = config.stress_test, config.canary
    return {
        "target-rps": _number(s.target_rps),
        "stress-duration-seconds": _number(s.duration_seconds),
        "p99-latency-ms": _number(s.p99_latency_ms),
        "max-error-rate": _number(s.max_error_rate),
        "canary-min-success-rate": _number(c.min_success_rate),
        "canary-max-p99-latency-ms": _number(c.max_p99_latency_ms),
        "canary-pause": c.pause,
        "canary-interval": c.interval,
        "canary-count": str(c.count),
        "canary-window": c.window,
    }


def _champion_version(client: Any, name: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, "champion").version)
    except MlflowException as e:
        if e.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise


def _download(uri: str, dest: Path) -> None:
    import mlflow

    dest.mkdir(parents=True, exist_ok=True)
    mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(dest))


def _payload(data: Any, target: str) -> str:
    rows = data.drop(columns=[target]).head(PAYLOAD_ROWS)
    body = {"dataframe_split": json.loads(rows.to_json(orient="split", index=False))}
    return json.dumps(body)


def stress_rows(data: Any, target: str) -> str:
    """The canary stress test's rows: a base64 `dataframe_split` of the first evaluation rows, small enough."""
    rows = data.drop(columns=[target]).head(ANALYSIS_ROWS)
    while True:
        doc = {"dataframe_split": json.loads(rows.to_json(orient="split", index=False))}
        encoded = base64.b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()
        if len(encoded) <= ANALYSIS_ROWS_BYTES or len(rows) <= 1:
            return encoded
        rows = rows.head(len(rows) // 2)


def prepare(
    *,
    project: Path,
    candidate_version: str,
    tracking_uri: str,
    out: Path,
    rows: Path | None = None,
    model_name: str = "",
    outputs_dir: Path | None = None,
) -> Prepared:
    """Check the evaluation data, download candidate and champion into `out`, write the plan, rows and outputs.

    Raises:
        UserError: a bad sluicegate.yaml or evaluation data, an unknown version, an unreachable MLflow.
    """
    if not candidate_version.isdigit():
        raise UserError(f"--candidate-version {candidate_version!r} is not a version number", fix="e.g. 3")
    config = load_config(project)
    name = model_name or config.name
    client = connect(tracking_uri)
    with mlflow_errors(tracking_uri):
        source, shown = data_source(project, config)
        data = read_evaluation_data(source, shown, config)
        candidate = client.get_model_version(name, candidate_version)
        champion = _champion_version(client, name)
        if champion == str(candidate.version):
            champion = None  # judged against the constant model; `decide` rejects a re-run of the champion
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        data_file = "data" + (source.suffix.lower() or ".csv")
        shutil.copyfile(source, out / data_file)
        if rows is not None:
            rows.parent.mkdir(parents=True, exist_ok=True)
            rows.write_text(_payload(data, config.evaluation.target))
        models: list[dict[str, str]] = [
            {"role": "candidate", "label": f"models:/{name}/{candidate.version}", "path": "candidate"}
        ]
        _download(f"models:/{name}/{candidate.version}", out / "candidate")
        if champion is not None:
            _download(f"models:/{name}/{champion}", out / "champion")
            models.append({"role": "baseline", "label": f"models:/{name}/{champion}", "path": "champion"})
        else:
            models.append({"role": "baseline", "label": "the constant model", "path": ""})
    plan = {
        "data": data_file,
        "shown": shown,
        "target": config.evaluation.target,
        "model_type": config.evaluation.model_type,
        "models": models,
    }
    (out / "plan.json").write_text(json.dumps(plan, indent=1))
    outputs = {
        "champion-version": champion or "",
        **limits(config),
        "stress-rows": stress_rows(data, config.evaluation.target),
    }
    if outputs_dir is not None:
        write_outputs(outputs_dir, outputs)
    return Prepared(name, str(candidate.version), champion, outputs)
