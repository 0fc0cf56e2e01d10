"""WorkflowTemplate `evaluate-project`: a model project's candidate scored and gated as sluicegate.yaml says.

Called by `workflows.manifests()`; `project-pipeline` reaches its DAG through `templateRef`
evaluate-project/evaluate-project after training. Three tasks:

- `prepare` (components image, with MLflow credentials): checks the evaluation data (target column),
  downloads the candidate and the champion, and outputs sluicegate.yaml's stress-test and canary limits;
  its `evaluation` artifact holds the data, the models and `plan.json`.
- `score` (the project's environment image, as `build-env` named it; no MLflow credentials): runs
  `mlflow.models.evaluate` on each model — the user's code loads in the user's environment, never in
  Sluicegate's. Its source is `components/evaluate/_score.py`, inlined at render time.
- `decide` (components image): MLflow's `MetricThreshold` on the scores, the evaluation run with MLflow's
  plots and the side-by-side report (linked in the outcome message), the `challenger` alias on promote.

Outputs: `decision` (`promote`/`reject`), the limits the deploy steps use, and the artifact `rows` (the
evaluation rows the stress test sends).
"""

from __future__ import annotations

from importlib import resources

from hera.workflows import DAG, Artifact, Env, Parameter, Script, Task, WorkflowTemplate
from hera.workflows import models as m

from workflows._common import (
    OUTPUTS_DIR,
    SOURCE_DIR,
    Sizing,
    component_container,
    input_value,
    output_parameter,
    params,
    source_artifact,
    step_pod,
    termination,
    termination_env,
)
from workflows._step import inputs, workflow_template
from workflows.evaluate_and_deploy import LIMITS

__all__ = [
    "EVALUATION_DIR",
    "LIMITS",
    "NAME",
    "OUTPUTS",
    "PARAMETERS",
    "ROWS_DIR",
    "SCORES_DIR",
    "score_source",
    "template",
]

NAME = "evaluate-project"
PARAMETERS = (
    *params("git-repo", "git-revision", "model-name", "model-version", "mlflow-tracking-uri"),
    ("image", None),  # the project's environment image (train-project's output)
)
#: Outputs: the decision, then sluicegate.yaml's limits, output by `prepare` under the deploy steps' parameter
#: names (`LIMITS`), with the rows the canary's stress-test analysis sends (`stress-rows`, base64
#: `dataframe_split` of the evaluation data).
OUTPUTS = ("decision", *LIMITS)
#: Where `prepare` writes and `score` reads (the `evaluation` artifact); where `score` writes (`scores`).
EVALUATION_DIR = "/tmp/evaluation"
SCORES_DIR = "/tmp/scores"
#: The stress test's rows (output artifact `rows`, a folder holding `rows.json`).
ROWS_DIR = "/tmp/rows"
SIZING = Sizing(
    cpu_request="250m",
    cpu_limit="2",
    memory_request="512Mi",
    memory_limit="4Gi",
    scratch="4Gi",
    deadline_seconds=1800,
)
DEADLINE_SECONDS = 3 * SIZING.deadline_seconds


def score_source() -> str:
    """The `score` task's script: `components/evaluate/_score.py`, read as a file (never imported here)."""
    return resources.files("components").joinpath("evaluate", "_score.py").read_text()


_COMMON = [
    f"--project={SOURCE_DIR}",
    "--model-name={{inputs.parameters.model-name}}",
    "--candidate-version={{inputs.parameters.model-version}}",
    "--tracking-uri={{inputs.parameters.mlflow-tracking-uri}}",
    f"--outputs-dir={OUTPUTS_DIR}",
]
_NAMES = ["git-repo", "git-revision", "model-name", "model-version", "mlflow-tracking-uri"]


def _templates() -> None:
    component_container(
        "prepare",
        "evaluate",
        ["prepare", *_COMMON, f"--out={EVALUATION_DIR}", f"--rows={ROWS_DIR}/rows.json"],
        inputs=[*(Parameter(name=n) for n in _NAMES), source_artifact()],
        outputs=[
            Artifact(name="evaluation", path=EVALUATION_DIR),
            Artifact(name="rows", path=ROWS_DIR),
            *(output_parameter(o) for o in ("champion-version", *LIMITS)),
        ],
        sizing=SIZING,
        retries=1,
    )
    Script(
        name="score",
        image="{{inputs.parameters.image}}",
        command=["python"],
        source=score_source(),
        add_cwd_to_sys_path=False,
        inputs=[Parameter(name="image"), Artifact(name="evaluation", path=EVALUATION_DIR)],
        outputs=[Artifact(name="scores", path=SCORES_DIR)],
        env=[Env(name="HOME", value="/tmp"), Env(name="MPLBACKEND", value="Agg"), *termination_env()],
        **step_pod(SIZING, 1),
        **termination(),  # type: ignore[arg-type]
    )
    component_container(
        "decide",
        "evaluate",
        ["decide", *_COMMON, f"--scores={SCORES_DIR}", "--workflow={{workflow.name}}"],
        inputs=[*(Parameter(name=n) for n in _NAMES), source_artifact(), Artifact(name="scores", path=SCORES_DIR)],
        outputs=[output_parameter(o) for o in ("decision", "candidate-score", "champion-score")],
        sizing=SIZING,
        retries=1,
    )


def _dag() -> DAG:
    passed = {n: input_value(n) for n in _NAMES}
    with DAG(
        name=NAME,
        inputs=inputs(PARAMETERS),
        outputs=[
            Parameter(
                name="decision", value_from=m.ValueFrom(parameter="{{tasks.decide.outputs.parameters.decision}}")
            ),
            *(
                Parameter(name=o, value_from=m.ValueFrom(parameter=f"{{{{tasks.prepare.outputs.parameters.{o}}}}}"))
                for o in LIMITS
            ),
            Artifact(name="rows", from_="{{tasks.prepare.outputs.artifacts.rows}}"),
        ],
    ) as dag:
        Task(name="prepare", template="prepare", arguments=passed)
        Task(
            name="score",
            template="score",
            depends="prepare.Succeeded",
            arguments=[
                Parameter(name="image", value=input_value("image")),
                Artifact(name="evaluation", from_="{{tasks.prepare.outputs.artifacts.evaluation}}"),
            ],
        )
        Task(
            name="decide",
            template="decide",
            depends="score.Succeeded",
            arguments=[
                *(Parameter(name=k, value=v) for k, v in passed.items()),
                Artifact(name="scores", from_="{{tasks.score.outputs.artifacts.scores}}"),
            ],
        )
    return dag


def template() -> WorkflowTemplate:
    """The `evaluate-project` WorkflowTemplate."""
    with workflow_template(NAME, PARAMETERS, DEADLINE_SECONDS) as w:
        _dag()
        _templates()
    return w
