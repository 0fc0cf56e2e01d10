"""WorkflowTemplate `build`: turns a model version into what serves it, and outputs it as an artifact.

Called by `workflows.manifests()`; `evaluate-and-deploy` reaches its step through `templateRef`
build/build. With `build-target=cluster` the `bundle` artifact is a Kaniko build context for the
model-server image; with `local` it is a self-contained bundle directory. Either way the `bundle-digest`
output identifies its content.
"""

from __future__ import annotations

from hera.workflows import Artifact, WorkflowTemplate

from workflows._common import Sizing, params
from workflows._step import ComponentStep

__all__ = ["BUNDLE_DIR", "NAME", "OUTPUTS", "PARAMETERS", "STEP", "template"]

NAME = "build"
#: Where the component writes the bundle; Argo archives it as the output artifact `bundle`.
BUNDLE_DIR = "/tmp/bundle"
PARAMETERS = params(
    "model-name",
    "model-version",
    "build-target",
    "mlflow-tracking-uri",
)
OUTPUTS = ("bundle-digest",)
RETRIES = 2
SIZING = Sizing(
    cpu_request="250m",
    cpu_limit="1",
    memory_request="512Mi",
    memory_limit="2Gi",
    scratch="4Gi",
    deadline_seconds=1800,
)
ARGS = [
    "--model-uri=models:/{{inputs.parameters.model-name}}/{{inputs.parameters.model-version}}",
    "--model-version={{inputs.parameters.model-version}}",
    "--tracking-uri={{inputs.parameters.mlflow-tracking-uri}}",
    "--target={{inputs.parameters.build-target}}",
    f"--out={BUNDLE_DIR}",
]


STEP = ComponentStep(
    name=NAME,
    module="build",
    params=PARAMETERS,
    args=ARGS,
    outputs=OUTPUTS,
    sizing=SIZING,
    retries=RETRIES,
    output_artifacts=(Artifact(name="bundle", path=BUNDLE_DIR),),
)


def template() -> WorkflowTemplate:
    """The `build` WorkflowTemplate."""
    return STEP.template()
