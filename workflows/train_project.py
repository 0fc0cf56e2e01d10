"""WorkflowTemplate `train-project`: a model project's environment, its entry point, then registration.

Called by `workflows.manifests()`; `project-pipeline` reaches its DAG through `templateRef`
train-project/train-project, and a notebook can submit it on its own with Hera. Four tasks:

- `build-env` (components image): checks sluicegate.yaml, MLproject and the environment files, and builds
  or reuses the project's Python environment (`python -m components.environment`); its output `image`
  names it. Locally that is `sluicegate.local/envs/<model>@sha256:<hash>`, which the engine's image
  policy resolves to the environment folder; with `build-target=cluster` the task writes a Kaniko
  context (output artifact `context`) and names `<env-registry>/<model>-env:<spec hash>`, or names the
  MLproject's `docker_env.image`, which is used as it is.
- `build-image` (Kaniko, only when build-env says `build=true`): builds and pushes that image
  (`workflows._kaniko`).
- `start-run` (components image): resolves the entry point's command with its typed parameters (workflow
  parameters named like them win, as `mlflow run -P`) and creates the MLflow run with the lineage tags.
- `run-entry-point` (the project's image): runs the command at the pushed revision with
  `MLFLOW_TRACKING_URI`, `MLFLOW_EXPERIMENT_ID` and `MLFLOW_RUN_ID` set, as MLflow Projects do; no
  Sluicegate code runs in it.
- `register` (components image, whatever the entry point's outcome): registers the model the run logged
  when the command succeeded, else marks the run FAILED and fails with one line; nothing is registered.
"""

from __future__ import annotations

from hera.workflows import DAG, Artifact, Container, Env, Parameter, Task, WorkflowTemplate
from hera.workflows import models as m

from contract import BUILDS_ENVIRONMENTS_ANNOTATION
from workflows._common import (
    OUTPUTS_DIR,
    SOURCE_DIR,
    Sizing,
    component_container,
    input_value,
    mlflow_auth_env,
    output_parameter,
    params,
    source_artifact,
    step_pod,
    termination,
)
from workflows._kaniko import build_image
from workflows._step import inputs, workflow_template

__all__ = ["NAME", "OUTPUTS", "PARAMETERS", "template"]

NAME = "train-project"
PARAMETERS = params(
    "git-repo",
    "git-revision",
    "project-model-name",
    "entry-point",
    "mlflow-tracking-uri",
    "build-target",
    "env-registry",
)
OUTPUTS = ("run-id", "model-uri", "model-version", "metrics", "model-name")
SIZING = Sizing(
    cpu_request="500m",
    cpu_limit="2",
    memory_request="1Gi",
    memory_limit="4Gi",
    scratch="4Gi",
    deadline_seconds=3600,
)
SMALL = Sizing(
    cpu_request="100m",
    cpu_limit="1",
    memory_request="256Mi",
    memory_limit="1Gi",
    scratch="1Gi",
    deadline_seconds=900,
)
DEADLINE_SECONDS = 3 * 3600
#: Where build-env writes the Kaniko context on the cluster target (output artifact `context`).
CONTEXT_DIR = "/tmp/context"


def _step(
    name: str,
    args: list[str],
    names: list[str],
    outputs: tuple[str, ...],
    sizing: Sizing,
    artifacts: tuple[Artifact, ...] = (),
    annotations: dict[str, str] | None = None,
) -> Container:
    return component_container(
        name,
        args[0],
        [*args[1:], f"--outputs-dir={OUTPUTS_DIR}"],
        inputs=[*(Parameter(name=n) for n in names), source_artifact()],
        outputs=[*(output_parameter(o) for o in outputs), *artifacts],
        sizing=sizing,
        retries=2,
        annotations=annotations,
    )


def _entry_point() -> Container:
    return Container(
        name="run-entry-point",
        image="{{inputs.parameters.image}}",
        command=["bash", "-c", "{{inputs.parameters.command}}"],
        working_dir=SOURCE_DIR,
        inputs=[
            *(Parameter(name=n) for n in ("git-repo", "git-revision", "image", "command", "run-id", "experiment-id")),
            Parameter(name="mlflow-tracking-uri"),
            source_artifact(),
        ],
        env=[
            Env(name="MLFLOW_TRACKING_URI", value="{{inputs.parameters.mlflow-tracking-uri}}"),
            Env(name="MLFLOW_RUN_ID", value="{{inputs.parameters.run-id}}"),
            Env(name="MLFLOW_EXPERIMENT_ID", value="{{inputs.parameters.experiment-id}}"),
            Env(name="HOME", value="/tmp"),
            *mlflow_auth_env(),  # the project's own MLflow calls sign in as the pipeline's steps do
        ],
        **step_pod(SIZING, 2),
        **termination(),  # type: ignore[arg-type]  # the user's code: the tail of its log (a traceback)
    )


def _dag() -> DAG:
    src = ["git-repo", "git-revision"]
    start = "{{tasks.start-run.outputs.parameters"
    with DAG(
        name=NAME,
        inputs=inputs(PARAMETERS),
        outputs=[
            *(
                Parameter(name=o, value_from=m.ValueFrom(parameter=f"{{{{tasks.register.outputs.parameters.{o}}}}}"))
                for o in OUTPUTS
            ),
            Parameter(name="image", value_from=m.ValueFrom(parameter="{{tasks.build-env.outputs.parameters.image}}")),
        ],
    ) as dag:
        Task(
            name="build-env",
            template="build-env",
            arguments={n: input_value(n) for n in [*src, "project-model-name", "build-target", "env-registry"]},
        )
        Task(
            name="build-image",
            template="build-image",
            depends="build-env.Succeeded",
            when="{{tasks.build-env.outputs.parameters.build}} == true",
            arguments=[
                Parameter(name="image", value="{{tasks.build-env.outputs.parameters.image}}"),
                Artifact(name="context", from_="{{tasks.build-env.outputs.artifacts.context}}"),
            ],
        )
        Task(
            name="start-run",
            template="start-run",
            depends="build-env.Succeeded",
            arguments={n: input_value(n) for n in [*src, "project-model-name", "entry-point", "mlflow-tracking-uri"]},
        )
        Task(
            name="run-entry-point",
            template="run-entry-point",
            depends="start-run.Succeeded && (build-image.Succeeded || build-image.Skipped)",
            arguments={
                **{n: input_value(n) for n in [*src, "mlflow-tracking-uri"]},
                "image": "{{tasks.build-env.outputs.parameters.image}}",
                "command": f"{start}.command}}}}",
                "run-id": f"{start}.run-id}}}}",
                "experiment-id": f"{start}.experiment-id}}}}",
            },
        )
        Task(
            name="register",
            template="register",
            depends="run-entry-point.Succeeded || run-entry-point.Failed || run-entry-point.Errored",
            arguments={
                **{n: input_value(n) for n in [*src, "mlflow-tracking-uri"]},
                "model-name": f"{start}.model-name}}}}",
                "entry-point": f"{start}.entry-point}}}}",
                "run-id": f"{start}.run-id}}}}",
                "entry-status": "{{tasks.run-entry-point.status}}",
            },
        )
    return dag


#: The one step that may not run as we run every other: Kaniko unpacks the base image over its own root file
#: system as root (not privileged, no privilege escalation: Pod Security `baseline` admits it).
_KANIKO_EXCEPTIONS = {
    "checkov.io/skip1": "CKV_SLUICE_1=the build-image step (Kaniko) must run as root to unpack the base image",
    "checkov.io/skip2": "CKV_SLUICE_2=the build-image step (Kaniko) writes the image's file system over its own root",
}


def template() -> WorkflowTemplate:
    """The `train-project` WorkflowTemplate."""
    with workflow_template(NAME, PARAMETERS, DEADLINE_SECONDS) as w:
        w.annotations = dict(_KANIKO_EXCEPTIONS)
        _dag()
        _step(
            "build-env",
            [
                "environment",
                f"--project={SOURCE_DIR}",
                "--model-name={{inputs.parameters.project-model-name}}",
                "--target={{inputs.parameters.build-target}}",
                "--registry={{inputs.parameters.env-registry}}",
                f"--out={CONTEXT_DIR}",
            ],
            ["git-repo", "git-revision", "project-model-name", "build-target", "env-registry"],
            ("image", "env-digest", "warning", "build"),
            SIZING,
            (Artifact(name="context", path=CONTEXT_DIR, optional=True),),
            # on the local stack, the one step that writes the environments folder (the registry of environments)
            {BUILDS_ENVIRONMENTS_ANNOTATION: "true"},
        )
        build_image()
        _step(
            "start-run",
            [
                "project_train",
                "start",
                f"--project={SOURCE_DIR}",
                "--tracking-uri={{inputs.parameters.mlflow-tracking-uri}}",
                "--model-name={{inputs.parameters.project-model-name}}",
                "--entry-point={{inputs.parameters.entry-point}}",
                "--workflow-parameters={{workflow.parameters.json}}",
                "--git-repo={{inputs.parameters.git-repo}}",
                "--git-revision={{inputs.parameters.git-revision}}",
                "--workflow={{workflow.name}}",
            ],
            ["git-repo", "git-revision", "project-model-name", "entry-point", "mlflow-tracking-uri"],
            ("run-id", "experiment-id", "command", "model-name", "entry-point"),
            SMALL,
        )
        _entry_point()
        _step(
            "register",
            [
                "project_train",
                "finish",
                f"--project={SOURCE_DIR}",
                "--tracking-uri={{inputs.parameters.mlflow-tracking-uri}}",
                "--model-name={{inputs.parameters.model-name}}",
                "--entry-point={{inputs.parameters.entry-point}}",
                "--run-id={{inputs.parameters.run-id}}",
                "--entry-status={{inputs.parameters.entry-status}}",
            ],
            ["git-repo", "git-revision", "mlflow-tracking-uri", "model-name", "entry-point", "run-id", "entry-status"],
            OUTPUTS,
            SMALL,
        )
    return w
