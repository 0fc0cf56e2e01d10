"""WorkflowTemplate `model-pipeline`: train -> evaluate-and-deploy, with an exit handler recording the outcome.

Called by `workflows.manifests()`; started by the Sensor `train-on-push` (with `git-repo` and
`git-revision` of the push) and by the CronWorkflow `scheduled-retrain`. Both halves are `templateRef`s,
so the pipeline runs exactly the templates that can also be submitted on their own: `train/train`, then
`evaluate-and-deploy/evaluate-and-deploy` with the version train registered.
"""

from __future__ import annotations

from hera.workflows import DAG, Task, WorkflowTemplate
from hera.workflows import models as m

from workflows import evaluate_and_deploy, train
from workflows._common import params
from workflows._record import recorded_pipeline
from workflows._step import inputs

__all__ = ["NAME", "PARAMETERS", "template"]

NAME = "model-pipeline"
PARAMETERS = params(
    "git-repo",
    "git-revision",
    "model-name",
    "dataset",
    "params-file",
    *(name for name, _ in train.HYPERPARAMETERS),
    "mlflow-tracking-uri",
    "min-improvement",
    "p99-latency-ms",
    "max-error-rate",
    "target-rps",
    "stress-duration-seconds",
    "service-url",
    "build-target",
    *evaluate_and_deploy.CANARY,
)
# Training, then the canary's analysis: a generous bound that still ends a stuck run the same day.
DEADLINE_SECONDS = 6 * 3600


def _passed(names: list[str]) -> dict[str, str]:
    return {name: f"{{{{inputs.parameters.{name}}}}}" for name in names}


def _dag() -> DAG:
    train_inputs = [name for name, _ in train.PARAMETERS]
    deploy_inputs = [name for name, _ in evaluate_and_deploy.PARAMETERS if name != "model-version"]
    with DAG(name=NAME, inputs=inputs(PARAMETERS)) as dag:
        Task(
            name="train",
            template_ref=m.TemplateRef(name=train.NAME, template=train.NAME),
            arguments=_passed(train_inputs),
        )
        Task(
            name="evaluate-and-deploy",
            template_ref=m.TemplateRef(name=evaluate_and_deploy.NAME, template=evaluate_and_deploy.NAME),
            depends="train.Succeeded",
            arguments={
                **_passed(deploy_inputs),
                "model-version": "{{tasks.train.outputs.parameters.model-version}}",
            },
        )
    return dag


def template() -> WorkflowTemplate:
    """The `model-pipeline` WorkflowTemplate."""
    recorded = ["git-repo", "git-revision", "model-name", "mlflow-tracking-uri"]
    return recorded_pipeline(NAME, PARAMETERS, DEADLINE_SECONDS, _dag, recorded)
