"""`start`: check a model project, resolve its entry point's command, and create the MLflow run it logs to.

Called by `python -m components.project_train start` (first task of the `train-project` template). As
`mlflow run` does, the run exists before the user's code starts; the next task runs the command with
`MLFLOW_RUN_ID`, `MLFLOW_TRACKING_URI` and `MLFLOW_EXPERIMENT_ID` set, so the user's own
`mlflow.start_run()`, autologging and `log_model` continue this run.

Parameter values, strongest first: workflow parameters named like an entry-point parameter (`-p alpha=0.3`;
empty values do not count), `train.parameters` of sluicegate.yaml, the MLproject default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components._common import UserError, write_outputs
from components._common._rest import rest_client, rest_errors
from components.project import CONFIG_FILE, load_config, load_mlproject

__all__ = ["StartResult", "parameters_for", "start"]


@dataclass(frozen=True)
class StartResult:
    """The run the entry point continues and the command that runs it."""

    run_id: str
    experiment_id: str
    command: str
    model_name: str
    entry_point: str

    def outputs(self) -> dict[str, Any]:
        """Output parameters by name."""
        return {
            "run-id": self.run_id,
            "experiment-id": self.experiment_id,
            "command": self.command,
            "model-name": self.model_name,
            "entry-point": self.entry_point,
        }


def _workflow_parameters(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"--workflow-parameters is not JSON ({e.msg})", fix="pass {{workflow.parameters.json}}") from e
    if isinstance(data, dict):
        return {str(k): str(v) for k, v in data.items()}
    if isinstance(data, list):  # Argo's list form: [{"name": ..., "value": ...}]
        return {str(p["name"]): str(p.get("value", "")) for p in data if isinstance(p, dict) and "name" in p}
    raise UserError("--workflow-parameters must be a JSON object", fix="pass {{workflow.parameters.json}}")


def parameters_for(declared: set[str], configured: dict[str, Any], workflow: dict[str, str]) -> dict[str, str]:
    """The parameter values the command gets (see the module docstring for the order)."""
    values = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in configured.items()}
    for name, value in workflow.items():
        if name in declared and value != "":
            values[name] = value
    return values


def start(
    *,
    project_dir: Path,
    tracking_uri: str,
    model_name: str = "",
    entry_point: str = "",
    workflow_parameters: str = "",
    git_repo: str = "",
    git_revision: str = "",
    workflow: str = "",
    outputs_dir: Path | None = None,
) -> StartResult:
    """Check the project, build the command, create the run; see the module docstring.

    Raises:
        UserError: an invalid sluicegate.yaml or MLproject, an unknown entry point, a parameter of the wrong
            type, a model name differing from sluicegate.yaml's, an unreachable MLflow.
    """
    config = load_config(project_dir)
    project = load_mlproject(project_dir)
    name = model_name or config.name
    if model_name and model_name != config.name:
        raise UserError(
            f"{CONFIG_FILE}: name: {config.name!r} differs from the pipeline's model-name {model_name!r}",
            fix="leave model-name empty or make them equal",
        )
    entry_name = entry_point or config.train.entry_point
    entry = project.entry_point(entry_name, project_dir)
    values = parameters_for(set(entry.parameters), config.train.parameters, _workflow_parameters(workflow_parameters))
    command = entry.command_line(values, f"{project.name or 'MLproject'}: entry point {entry_name}")
    tags = {
        "git.repo": git_repo,
        "git.revision": git_revision,
        "argo.workflow": workflow,
        "sluicegate.model-name": name,
        "sluicegate.step": "train",
        "mlflow.source.type": "PROJECT",
        "mlflow.source.name": git_repo or str(project_dir),
        "mlflow.project.entryPoint": entry_name,
        "mlflow.runName": f"train-{git_revision[:8] or 'local'}",
    }
    if git_revision:
        tags["mlflow.source.git.commit"] = git_revision
    if git_repo:
        tags["mlflow.source.git.repoURL"] = git_repo
    with rest_client(tracking_uri) as client, rest_errors(tracking_uri):
        experiment_id = client.experiment_id(name)
        run = client.create_run(experiment_id, tags={k: v for k, v in tags.items() if v})
        for key, value in values.items():  # as `mlflow run` logs the entry point's parameters
            client.log_param(run.info.run_id, key, value)
    result = StartResult(run.info.run_id, experiment_id, command, name, entry_name)
    if outputs_dir is not None:
        write_outputs(outputs_dir, result.outputs())
    return result
