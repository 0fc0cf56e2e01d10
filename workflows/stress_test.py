"""WorkflowTemplate `stress-test`: open-loop load against a model, gated on p99 latency and errors.

With `model-uri` (and no `service-url`) the step serves that model version itself, next to the load
generator, so the candidate is measured before any traffic reaches it; with `service-url` it loads a
running service instead.

Its second template, `serve-env`, runs first in `evaluate-and-deploy`: on the local stack it builds the
model's serving environment where the stress test's server and the Rollout's find it (an environment
builder, as `build-env`: the stress-test step itself is sandboxed with the environments read-only); it
runs none of the model's code and has nothing to do on a cluster.

Called by `workflows.manifests()`; `evaluate-and-deploy` reaches its steps through `templateRef`
stress-test/stress-test and stress-test/serve-env. The step exits non-zero when a gate is missed, which
fails the pipeline before the deploy step.
"""

from __future__ import annotations

from hera.workflows import Artifact, WorkflowTemplate

from contract import BUILDS_ENVIRONMENTS_ANNOTATION
from workflows._common import DEFAULTS, OUTPUTS_DIR, Sizing, component_container, params
from workflows._step import ComponentStep, inputs

__all__ = ["NAME", "OUTPUTS", "PARAMETERS", "ROWS_DIR", "SERVE_ENV", "STEP", "template"]

NAME = "stress-test"
SERVE_ENV = "serve-env"
PARAMETERS = (
    ("model-uri", f"models:/{DEFAULTS['model-name']}@challenger"),
    ("service-url", ""),
    ("target-rps", DEFAULTS["target-rps"]),
    ("duration-seconds", DEFAULTS["stress-duration-seconds"]),
    *params("p99-latency-ms", "max-error-rate", "dataset", "mlflow-tracking-uri"),
)
OUTPUTS = ("report",)
#: Optional input artifact `rows`: a model project's evaluation rows (else the `dataset`'s rows are sent).
ROWS_DIR = "/tmp/rows"
# A missed gate is a failure, not an error, so it is never retried; a lost pod is retried once.
RETRIES = 1
# Room for the load generator plus, without service-url, the model server and its downloaded model.
SIZING = Sizing(
    cpu_request="500m",
    cpu_limit="2",
    memory_request="512Mi",
    memory_limit="2Gi",
    scratch="1Gi",
    deadline_seconds=900,
)
ARGS = [
    "--url={{inputs.parameters.service-url}}",
    "--model-uri={{inputs.parameters.model-uri}}",
    "--rps={{inputs.parameters.target-rps}}",
    "--duration={{inputs.parameters.duration-seconds}}",
    "--p99-latency-ms={{inputs.parameters.p99-latency-ms}}",
    "--max-error-rate={{inputs.parameters.max-error-rate}}",
    "--dataset={{inputs.parameters.dataset}}",
    "--tracking-uri={{inputs.parameters.mlflow-tracking-uri}}",
    f"--rows-file={ROWS_DIR}/rows.json",
]


STEP = ComponentStep(
    name=NAME,
    module="stress_test",
    params=PARAMETERS,
    args=ARGS,
    outputs=OUTPUTS,
    sizing=SIZING,
    retries=RETRIES,
    input_artifacts=(Artifact(name="rows", path=ROWS_DIR, optional=True),),
)


def template() -> WorkflowTemplate:
    """The `stress-test` WorkflowTemplate (entrypoint `stress-test`) with its `serve-env` template."""
    w = STEP.template()
    with w:
        component_container(
            SERVE_ENV,
            STEP.module,
            [*ARGS, "--prepare-env", f"--outputs-dir={OUTPUTS_DIR}"],
            inputs=inputs(PARAMETERS),
            outputs=[],
            sizing=SIZING,
            retries=RETRIES,
            # on the local stack, one of the steps that write the environments folder
            annotations={BUILDS_ENVIRONMENTS_ANNOTATION: "true"},
        )
    return w
