"""WorkflowTemplate `project-pipeline`: a model project (MLproject + sluicegate.yaml) from push to canary.

Called by `workflows.manifests()`; started by the Sensor `train-on-push` for a pushed revision of a model
repository, and submitted by `sluice submit --from workflowtemplate/project-pipeline -p git-repo=... -p
git-revision=...` or by Hera from a notebook. Three stages, each reaching templates that can also be
submitted on their own:

- `train` (`templateRef` train-project/train-project): environment, entry point, registration;
- `evaluate` (`templateRef` evaluate-project/evaluate-project): candidate and champion scored with MLflow's
  evaluation API in the project's environment, gated with sluicegate.yaml's `MetricThreshold`;
- on `promote`: build, stress-test, the model's Services and Ingress, and its Rollout — the tasks
  `evaluate-and-deploy` runs too (`evaluate_and_deploy.deploy_tasks`), here with sluicegate.yaml's
  stress-test and canary limits (outputs of `evaluate`) and the evaluation rows as the stress test's load.

Entry-point parameters are workflow parameters: `-p alpha=0.3` reaches the entry point's `alpha` as
`mlflow run -P alpha=0.3` would.
"""

from __future__ import annotations

from collections.abc import Callable

from hera.workflows import DAG, Task, WorkflowTemplate
from hera.workflows import models as m

from workflows import evaluate_and_deploy, evaluate_project, train_project
from workflows._common import params
from workflows._record import recorded_pipeline
from workflows._step import inputs

__all__ = ["NAME", "PARAMETERS", "deploy_on_promote", "template"]

NAME = "project-pipeline"
PARAMETERS = params(*(name for name, _ in train_project.PARAMETERS), "service-url", "dataset")
DEADLINE_SECONDS = 6 * 3600


def _passed(names: list[str]) -> dict[str, str]:
    return {name: f"{{{{inputs.parameters.{name}}}}}" for name in names}


def _value(name: str) -> str:
    """Where the deploy tasks' model and inputs come from in this DAG: the version `train` registered."""
    if name in ("model-name", "model-version"):
        return f"{{{{tasks.train.outputs.parameters.{name}}}}}"
    return f"{{{{inputs.parameters.{name}}}}}"


def deploy_on_promote(value: Callable[[str], str]) -> None:
    """The deploy tasks after the DAG's task `evaluate` (evaluate-project), run when it decides `promote`.

    Added to the DAG being built (also by `evaluate-project-version`). sluicegate.yaml's stress-test and canary
    limits and the stress test's rows come from `evaluate`'s outputs; `value(name)` gives every other
    parameter (the model's name and version among them).
    """

    def limits_first(name: str) -> str:
        return f"{{{{tasks.evaluate.outputs.parameters.{name}}}}}" if name in evaluate_project.LIMITS else value(name)

    evaluate_and_deploy.deploy_tasks(
        limits_first,
        depends="evaluate.Succeeded",
        when="'{{tasks.evaluate.outputs.parameters.decision}}' == 'promote'",
        ref=True,
        rows="{{tasks.evaluate.outputs.artifacts.rows}}",
    )


def _dag() -> DAG:
    with DAG(name=NAME, inputs=inputs(PARAMETERS)) as dag:
        Task(
            name="train",
            template_ref=m.TemplateRef(name=train_project.NAME, template=train_project.NAME),
            arguments=_passed([name for name, _ in train_project.PARAMETERS]),
        )
        Task(
            name="evaluate",
            template_ref=m.TemplateRef(name=evaluate_project.NAME, template=evaluate_project.NAME),
            depends="train.Succeeded",
            arguments={
                **_passed(["git-repo", "git-revision", "mlflow-tracking-uri"]),
                **{n: _value(n) for n in ("model-name", "model-version")},
                "image": "{{tasks.train.outputs.parameters.image}}",
            },
        )
        deploy_on_promote(_value)
    return dag


def template() -> WorkflowTemplate:
    """The `project-pipeline` WorkflowTemplate."""
    recorded = ["git-repo", "git-revision", "project-model-name", "mlflow-tracking-uri"]
    return recorded_pipeline(NAME, PARAMETERS, DEADLINE_SECONDS, _dag, recorded)
