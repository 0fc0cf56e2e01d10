"""WorkflowTemplate `project-pipeline`: a model project (MLproject + sluicegate.yaml) from push to canary.

Called by `workflows.manifests()`; submitted for a pushed revision of a model repository (by a Sensor, by
`sluice submit --from workflowtemplate/project-pipeline -p git-repo=... -p git-revision=...`, or by Hera
from a notebook). Both halves are `templateRef`s: `train-project/train-project` (environment, entry
point, registration), then `evaluate-and-deploy/evaluate-and-deploy` with the version it registered and
the model name sluicegate.yaml gave. Entry-point parameters are workflow parameters: `-p alpha=0.3`
reaches the entry point's `alpha` as `mlflow run -P alpha=0.3` would.
"""

from __future__ import annotations

from hera.workflows import DAG, Task, WorkflowTemplate
from hera.workflows import models as m

from workflows import evaluate_and_deploy, train_project
from workflows._common import params
from workflows._record import NAME as RECORD_OUTCOME
from workflows._record import record_outcome
from workflows._step import inputs, workflow_template

__all__ = ["NAME", "PARAMETERS", "template"]

NAME = "project-pipeline"
_DEPLOY = [name for name, _ in evaluate_and_deploy.PARAMETERS if name not in ("model-name", "model-version")]
PARAMETERS = params(*(name for name, _ in train_project.PARAMETERS), *(n for n in _DEPLOY if n != "build-target"))
DEADLINE_SECONDS = 6 * 3600


def _passed(names: list[str]) -> dict[str, str]:
    return {name: f"{{{{inputs.parameters.{name}}}}}" for name in names}


def _dag() -> DAG:
    with DAG(name=NAME, inputs=inputs(PARAMETERS)) as dag:
        Task(
            name="train",
            template_ref=m.TemplateRef(name=train_project.NAME, template=train_project.NAME),
            arguments=_passed([name for name, _ in train_project.PARAMETERS]),
        )
        Task(
            name="evaluate-and-deploy",
            template_ref=m.TemplateRef(name=evaluate_and_deploy.NAME, template=evaluate_and_deploy.NAME),
            depends="train.Succeeded",
            arguments={
                **_passed(_DEPLOY),
                "model-name": "{{tasks.train.outputs.parameters.model-name}}",
                "model-version": "{{tasks.train.outputs.parameters.model-version}}",
            },
        )
    return dag


def template() -> WorkflowTemplate:
    """The `project-pipeline` WorkflowTemplate."""
    with workflow_template(
        NAME, [*PARAMETERS, *evaluate_and_deploy.EXIT_PARAMETERS], DEADLINE_SECONDS, on_exit=RECORD_OUTCOME
    ) as w:
        _dag()
        record_outcome(["git-repo", "git-revision", "project-model-name", "mlflow-tracking-uri"])
    return w
