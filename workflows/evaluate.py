"""WorkflowTemplate `evaluate`: scores a candidate model version against the current champion.

Called by `workflows.manifests()`; `evaluate-and-deploy` reaches its step through `templateRef`
evaluate/evaluate and branches on its `decision` output (`promote` or `reject`).
"""

from __future__ import annotations

from hera.workflows import WorkflowTemplate

from workflows._common import Sizing, params
from workflows._step import ComponentStep

__all__ = ["NAME", "OUTPUTS", "PARAMETERS", "STEP", "template"]

NAME = "evaluate"
PARAMETERS = params(
    "model-name",
    "model-version",
    "dataset",
    "min-improvement",
    "mlflow-tracking-uri",
)
OUTPUTS = ("decision", "candidate-score", "champion-score")
RETRIES = 2
SIZING = Sizing(
    cpu_request="250m",
    cpu_limit="1",
    memory_request="512Mi",
    memory_limit="2Gi",
    scratch="1Gi",
    deadline_seconds=1200,
)
ARGS = [
    "--model-name={{inputs.parameters.model-name}}",
    "--candidate-version={{inputs.parameters.model-version}}",
    "--dataset={{inputs.parameters.dataset}}",
    "--min-improvement={{inputs.parameters.min-improvement}}",
    "--tracking-uri={{inputs.parameters.mlflow-tracking-uri}}",
    "--workflow={{workflow.name}}",
]


STEP = ComponentStep(
    name=NAME,
    module="evaluate",
    params=PARAMETERS,
    args=ARGS,
    outputs=OUTPUTS,
    sizing=SIZING,
    retries=RETRIES,
)


def template() -> WorkflowTemplate:
    """The `evaluate` WorkflowTemplate."""
    return STEP.template()
