"""WorkflowTemplate `evaluate-project-version`: a version of a model project registered outside the pipeline.

Called by `workflows.manifests()`; started by the Sensor `evaluate-on-mlflow` for a model version whose run
asked for evaluation (`sluicegate.evaluate=true`) and names its source (`git.repo`/`git.revision`, or MLflow's
`mlflow.source.git.*` tags; the relay's `git_repo`/`git_revision`), e.g. a version logged and registered from a
notebook. It judges the version as `project-pipeline` judges one it trained, by the project's sluicegate.yaml
at that revision, and reaches every step through `templateRef`:

- `build-env` and `build-image` (train-project/build-env, train-project/build-image): the project's environment,
  built or reused (the same spec hash as the pipeline's), Kaniko only when build-env says `build=true`;
- `evaluate` (evaluate-project/evaluate-project): candidate and champion scored on the project's own evaluation
  data, in that environment, gated by sluicegate.yaml's `promotion`;
- on `promote`: the deploy tasks of `project-pipeline` (`evaluate_and_deploy.deploy_tasks`), with the
  project's stress-test and canary limits and its evaluation rows as the stress test's load.

Nothing is trained or registered: `model-name` and `model-version` name the version to judge (never a guess).
"""

from __future__ import annotations

from hera.workflows import DAG, Artifact, Parameter, Task, WorkflowTemplate
from hera.workflows import models as m

from workflows import evaluate_project, project_pipeline, train_project
from workflows._common import input_value, params
from workflows._record import recorded_pipeline
from workflows._step import inputs

__all__ = ["NAME", "PARAMETERS", "template"]

NAME = "evaluate-project-version"
#: The version and its source are required; the rest as `project-pipeline` takes them.
PARAMETERS = (
    *((name, None) for name in ("git-repo", "git-revision", "model-name", "model-version")),
    *params("mlflow-tracking-uri", "build-target", "env-registry", "service-url", "dataset"),
)
DEADLINE_SECONDS = project_pipeline.DEADLINE_SECONDS
_BUILT = "{{tasks.build-env.outputs.parameters"


def _dag() -> DAG:
    source = {n: input_value(n) for n in ("git-repo", "git-revision")}
    with DAG(name=NAME, inputs=inputs(PARAMETERS)) as dag:
        Task(
            name="build-env",
            template_ref=m.TemplateRef(name=train_project.NAME, template="build-env"),
            arguments={
                **source,
                "project-model-name": input_value("model-name"),
                **{n: input_value(n) for n in ("build-target", "env-registry")},
            },
        )
        Task(
            name="build-image",
            template_ref=m.TemplateRef(name=train_project.NAME, template="build-image"),
            depends="build-env.Succeeded",
            when=f"{_BUILT}.build}}}} == true",
            arguments=[
                Parameter(name="image", value=f"{_BUILT}.image}}}}"),
                Artifact(name="context", from_="{{tasks.build-env.outputs.artifacts.context}}"),
            ],
        )
        Task(
            name="evaluate",
            template_ref=m.TemplateRef(name=evaluate_project.NAME, template=evaluate_project.NAME),
            depends="build-env.Succeeded && (build-image.Succeeded || build-image.Skipped)",
            arguments={
                **source,
                **{n: input_value(n) for n in ("model-name", "model-version", "mlflow-tracking-uri")},
                "image": f"{_BUILT}.image}}}}",
            },
        )
        project_pipeline.deploy_on_promote(input_value)
    return dag


def template() -> WorkflowTemplate:
    """The `evaluate-project-version` WorkflowTemplate."""
    recorded = ["git-repo", "git-revision", "model-name", "model-version", "mlflow-tracking-uri"]
    return recorded_pipeline(NAME, PARAMETERS, DEADLINE_SECONDS, _dag, recorded)
