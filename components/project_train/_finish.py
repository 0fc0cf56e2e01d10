"""`finish`: after the entry point ran, register the model its run logged, or fail the run and register nothing.

Called by `python -m components.project_train finish` (last task of the `train-project` template). The
model version is created only when the command succeeded and the run logged exactly the model to
register (`train.logged_model` of sluicegate.yaml picks one among several). The registered version gets
the lineage tags; the run ends FINISHED only after that, FAILED otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components._common import UserError, write_outputs
from components._common._rest import MlflowRest, rest_client, rest_errors
from components._common._rest_models import LoggedModel, Run
from components.project import CONFIG_FILE, load_config

__all__ = ["FinishResult", "finish"]


@dataclass(frozen=True)
class FinishResult:
    """The registered version and the run's metrics."""

    run_id: str
    model_uri: str
    model_version: str
    metrics: dict[str, float]
    model_name: str

    def outputs(self) -> dict[str, Any]:
        """Output parameters by name (the same as the built-in `train` step's)."""
        return {
            "run-id": self.run_id,
            "model-uri": self.model_uri,
            "model-version": self.model_version,
            "metrics": self.metrics,
            "model-name": self.model_name,
        }


def _pick(models: list[LoggedModel], wanted: str, run_id: str) -> LoggedModel:
    if not models:
        raise UserError(
            f"run {run_id} logged no model",
            fix="log one in the entry point, e.g. mlflow.sklearn.log_model(model, name='model')",
        )
    if wanted:
        chosen = [m for m in models if m.name == wanted]
        if not chosen:
            names = ", ".join(sorted(m.name for m in models))
            raise UserError(
                f"{CONFIG_FILE}: train.logged_model: the run logged no model named {wanted!r} (logged: {names})",
                fix="set it to one of those names",
            )
        return chosen[-1]
    if len({m.name for m in models}) > 1:
        names = ", ".join(sorted({m.name for m in models}))
        raise UserError(
            f"{CONFIG_FILE}: train.logged_model: the run logged several models ({names})",
            fix="set train.logged_model to the one to register",
        )
    return max(models, key=lambda m: m.info.creation_timestamp_ms)


def _terminate(client: MlflowRest, run: Run, status: str) -> None:
    """End the run, printing its links as MLflow's `set_terminated` does."""
    client.set_terminated(run.info.run_id, status)
    experiment = f"{client.tracking_uri}/#/experiments/{run.info.experiment_id}"
    print(f"\N{RUNNER} View run {run.info.run_name} at: {experiment}/runs/{run.info.run_id}")
    print(f"\N{TEST TUBE} View experiment at: {experiment}")


def finish(
    *,
    project_dir: Path,
    tracking_uri: str,
    run_id: str,
    model_name: str,
    entry_status: str,
    entry_point: str = "",
    outputs_dir: Path | None = None,
) -> FinishResult:
    """Register the run's model as a new version of `model_name`, or fail the run; see the module docstring.

    Raises:
        UserError: the entry point failed, the run logged no (or no such) model, MLflow refused.
    """
    config = load_config(project_dir)
    with rest_client(tracking_uri) as client, rest_errors(tracking_uri):
        run = client.get_run(run_id)
        try:
            if entry_status != "Succeeded":
                raise UserError(
                    f"MLproject: entry_points.{entry_point or config.train.entry_point}: the command "
                    f"{entry_status.lower() or 'failed'} (run {run_id})",
                    fix="see the run-entry-point step's log for the traceback",
                )
            models = client.search_logged_models([run.info.experiment_id], f"source_run_id = '{run_id}'")
            chosen = _pick(models, config.train.logged_model, run_id)
            tags = {k: run.data.tags_by_key.get(k, "") for k in ("git.repo", "git.revision", "argo.workflow")}
            version = client.register_model(chosen.model_id, model_name, tags={**tags, "run_id": run_id})
        except BaseException:
            _terminate(client, run, "FAILED")
            raise
        client.set_tag(run_id, "sluicegate.model-version", version.version)
        _terminate(client, run, "FINISHED")
    metrics = run.data.metrics_by_key
    result = FinishResult(run_id, f"models:/{model_name}/{version.version}", version.version, metrics, model_name)
    if outputs_dir is not None:
        write_outputs(outputs_dir, result.outputs())
    return result
