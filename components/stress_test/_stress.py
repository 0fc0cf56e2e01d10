"""The stress-test step: open-loop load against a model service, a report, MLflow metrics, and the gates.

Called by `python -m components.stress_test` (the `stress-test` WorkflowTemplate step) and by tests.
Requests are MLflow scoring requests (`{"dataframe_split": {"columns": [...], "data": [[...]]}}`) built
from the rows of a bundled dataset, posted to `URL/invocations`; `--payload-file` posts a given body instead.

With a tracking URI, the report is logged to MLflow: into `--run-id` when given (metrics `stress.*`,
artifact `stress-test/report.json`, its status untouched), otherwise into a new run in the experiment
`stress-test` that ends FINISHED when the gates pass and FAILED when they do not.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components._common import (
    UserError,
    check_reachable,
    connect,
    load_dataset,
    mlflow_errors,
    use_experiment,
    write_outputs,
)
from components.stress_test._load import run_load
from components.stress_test._report import gate_failures, summarize

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

# mlflow loads only when a tracking URI is given: the load generator itself does not need it
__all__ = ["DEFAULT_EXPERIMENT", "StressResult", "payloads", "stress_test"]

DEFAULT_EXPERIMENT = "stress-test"


@dataclass(frozen=True)
class StressResult:
    """The report, the missed gates (empty when passed) and the MLflow run it went to."""

    report: dict[str, Any]
    failures: list[str] = field(default_factory=list)
    run_id: str | None = None

    @property
    def passed(self) -> bool:
        """Every gate held."""
        return not self.failures

    def outputs(self) -> dict[str, Any]:
        """Output parameters by name: `report` (JSON)."""
        return {"report": self.report}


def _split_rows(text: str, where: str) -> tuple[list[str], list[list[Any]]]:
    try:
        doc = json.loads(text)["dataframe_split"]
        return [str(c) for c in doc["columns"]], list(doc["data"])
    except (ValueError, KeyError, TypeError) as e:
        raise UserError(
            f"{where}: not a `dataframe_split` document with columns and data ({e})",
            fix="write it as the evaluate-project prepare step does",
        ) from e


def _rows_file(path: Path) -> tuple[list[str], list[list[Any]]]:
    try:
        text = path.read_text()
    except OSError as e:
        raise UserError(f"cannot read --rows-file {path}: {e.strerror or e}") from e
    return _split_rows(text, str(path))


def _rows_b64(value: str) -> tuple[list[str], list[list[Any]]]:
    try:
        text = base64.b64decode(value, validate=True).decode()
    except (ValueError, UnicodeDecodeError) as e:
        raise UserError(
            f"--rows-b64 is not base64 of a UTF-8 document ({e})", fix="pass the evaluate step's `stress-rows`"
        ) from e
    return _split_rows(text, "--rows-b64")


def payloads(
    dataset: str = "breast_cancer",
    batch_rows: int = 1,
    payload_file: Path | None = None,
    rows_file: Path | None = None,
    rows_b64: str = "",
) -> list[bytes]:
    """Request bodies: `dataframe_split` batches of `batch_rows` rows, or the payload file as is.

    The rows are those of `rows_b64` (a base64 `dataframe_split` document: how the canary analysis, whose
    Job has only its arguments, gets a model project's rows) or of `rows_file` when it is given and exists
    (a model project's evaluation data, written by the `prepare` step of `evaluate-project`), else those of
    the bundled `dataset`.
    """
    if payload_file is not None:
        try:
            body = payload_file.read_bytes()
            json.loads(body)
        except OSError as e:
            raise UserError(f"cannot read --payload-file {payload_file}: {e.strerror or e}") from e
        except ValueError as e:
            raise UserError(
                f"--payload-file {payload_file} is not JSON ({e})", fix="give an MLflow scoring body"
            ) from e
        return [body]
    if rows_b64:
        columns, rows = _rows_b64(rows_b64)
    elif rows_file is not None and rows_file.is_file():
        columns, rows = _rows_file(rows_file)
    else:
        X = load_dataset(dataset).X
        columns, rows = list(X.columns), X.to_numpy().tolist()
    bodies = []
    for i in range(0, len(rows) - batch_rows + 1, batch_rows):
        doc = {"dataframe_split": {"columns": columns, "data": rows[i : i + batch_rows]}}
        bodies.append(json.dumps(doc).encode())
    return bodies


def _check(url: str, rps: float, duration: float, p99: float, max_error_rate: float, batch_rows: int) -> str:
    if not url.startswith(("http://", "https://")):
        raise UserError(f"--url {url!r} is not an http(s) URL", fix="e.g. http://127.0.0.1:8080")
    checks = [
        ("--rps", rps, 0 < rps <= 20_000, "0 < rps <= 20000"),
        ("--duration", duration, 0 < duration <= 3600, "0 < seconds <= 3600"),
        ("--p99-latency-ms", p99, p99 > 0, "> 0"),
        ("--max-error-rate", max_error_rate, 0 <= max_error_rate <= 1, "0..1"),
        ("--batch-rows", batch_rows, 1 <= batch_rows <= 1000, "1..1000"),
    ]
    for flag, value, ok, accepted in checks:
        if not ok:
            raise UserError(f"{flag} {value} is out of range", fix=f"accepted range: {accepted}")
    base = url.rstrip("/")
    return base if base.endswith("/invocations") else base + "/invocations"


def _log(client: MlflowClient, run_id: str | None, experiment: str, result: StressResult, url: str) -> str:
    from mlflow.entities import Metric, Param, RunTag

    report = result.report
    now = int(time.time() * 1000)
    keys = ("target_rps", "achieved_rps", "ok_rps", "error_rate", "p50_ms", "p95_ms", "p99_ms", "max_ms")
    metrics = [Metric(f"stress.{k}", float(report[k]), now, 0) for k in keys]
    tags = [RunTag("stress.passed", str(result.passed).lower()), RunTag("stress.url", url)]
    new = run_id is None
    if run_id is None:
        run = client.create_run(
            use_experiment(experiment),
            run_name="stress-test",
            tags={"sluicegate.step": "stress-test", "mlflow.runName": "stress-test"},
        )
        run_id = run.info.run_id
        gates = report["gates"]
        params = [Param("url", url), Param("target_rps", str(report["target_rps"]))]
        params += [Param("duration_s", str(report["duration_s"]))]
        params += [Param(f"gate.{k}", str(v)) for k, v in gates.items()]
        client.log_batch(run_id, params=params)
    client.log_batch(run_id, metrics=metrics, tags=tags)
    client.log_text(run_id, json.dumps(report, indent=2, sort_keys=True), "stress-test/report.json")
    if new:
        client.set_terminated(run_id, "FINISHED" if result.passed else "FAILED")
    return run_id


def stress_test(
    *,
    url: str,
    rps: float,
    duration: float,
    p99_latency_ms: float,
    max_error_rate: float,
    dataset: str = "breast_cancer",
    batch_rows: int = 1,
    payload_file: Path | None = None,
    rows_file: Path | None = None,
    rows_b64: str = "",
    timeout: float = 5.0,
    max_connections: int = 256,
    tracking_uri: str | None = None,
    run_id: str | None = None,
    experiment: str = DEFAULT_EXPERIMENT,
    outputs_dir: Path | None = None,
) -> StressResult:
    """Load `url` open-loop, summarise, check the gates, log to MLflow, write the `report` output.

    Raises:
        UserError: bad input, unreachable MLflow, unknown `run_id`. A missed gate is not an exception:
            it is in `StressResult.failures`.
    """
    target = _check(url, rps, duration, p99_latency_ms, max_error_rate, batch_rows)
    if tracking_uri:
        check_reachable(tracking_uri)  # before the dataset loads: an unreachable MLflow is answered at once
    bodies = payloads(dataset, batch_rows, payload_file, rows_file, rows_b64)
    client = None
    if tracking_uri:
        client = connect(tracking_uri)
        if run_id:
            with mlflow_errors(tracking_uri):
                client.get_run(run_id)
    samples, wall = run_load(target, rps, duration, bodies, timeout, max_connections)
    report = summarize(samples, rps, duration, wall)
    failures = gate_failures(report, p99_latency_ms, max_error_rate)
    report.update(
        url=target,
        gates={"p99_latency_ms": p99_latency_ms, "max_error_rate": max_error_rate},
        passed=not failures,
        failures=failures,
    )
    result = StressResult(report=report, failures=failures)
    if client is not None and tracking_uri:
        with mlflow_errors(tracking_uri):
            logged = _log(client, run_id, experiment, result, target)
        result = StressResult(report=report, failures=failures, run_id=logged)
    if outputs_dir is not None:
        write_outputs(outputs_dir, result.outputs())
    return result
