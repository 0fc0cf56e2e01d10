"""WorkflowTemplate `train`: checks out the model repo at a revision and trains a registered model version.

Called by `workflows.manifests()`; `model-pipeline` reaches its step through `templateRef` train/train.
The hyperparameters live in the params file of the checked-out tree (`/tmp/src/<params-file>`), so a
push that changes them trains a different model and the revision says what was trained. The
`HYPERPARAMETERS` parameters override single keys of it for experiments (`-p C=0.5`); they default to
empty, which the component reads as "no override".
"""

from __future__ import annotations

from hera.workflows import WorkflowTemplate

from workflows._common import SOURCE_DIR, Sizing, params, source_artifact
from workflows._step import ComponentStep

__all__ = ["HYPERPARAMETERS", "NAME", "OUTPUTS", "PARAMETERS", "STEP", "template"]

NAME = "train"
#: Override parameters and the params-file key each one sets.
HYPERPARAMETERS = (
    ("model-type", "model.type"),
    ("C", "model.C"),
    ("n-estimators", "model.n_estimators"),
    ("max-depth", "model.max_depth"),
    ("seed", "seed"),
)
PARAMETERS = params(
    "git-repo",
    "git-revision",
    "model-name",
    "dataset",
    "params-file",
    "mlflow-tracking-uri",
    *(name for name, _ in HYPERPARAMETERS),
)
OUTPUTS = ("run-id", "model-uri", "model-version", "metrics")
# Training is the one step whose retry costs real compute; two retries cover a lost node or eviction.
RETRIES = 2
SIZING = Sizing(
    cpu_request="500m",
    cpu_limit="2",
    memory_request="1Gi",
    memory_limit="4Gi",
    scratch="2Gi",
    deadline_seconds=3600,
)
ARGS = [
    "--dataset={{inputs.parameters.dataset}}",
    "--model-name={{inputs.parameters.model-name}}",
    f"--params-file={SOURCE_DIR}/{{{{inputs.parameters.params-file}}}}",
    "--tracking-uri={{inputs.parameters.mlflow-tracking-uri}}",
    "--git-repo={{inputs.parameters.git-repo}}",
    "--git-revision={{inputs.parameters.git-revision}}",
    "--workflow={{workflow.name}}",
    *(f"--set={key}={{{{inputs.parameters.{name}}}}}" for name, key in HYPERPARAMETERS),
]

STEP = ComponentStep(
    name=NAME,
    module="train",
    params=PARAMETERS,
    args=ARGS,
    outputs=OUTPUTS,
    sizing=SIZING,
    retries=RETRIES,
    input_artifacts=(source_artifact(),),
)


def template() -> WorkflowTemplate:
    """The `train` WorkflowTemplate."""
    return STEP.template()
