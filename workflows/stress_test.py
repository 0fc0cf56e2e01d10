"""WorkflowTemplate `stress-test`: open-loop load against a model, gated on p99 latency and errors.

With `model-uri` (and no `service-url`) the step serves that model version itself, next to the load
generator, so the candidate is measured before any traffic reaches it; with `service-url` it loads a
running service instead.

Called by `workflows.manifests()`; `evaluate-and-deploy` reaches its step through `templateRef`
stress-test/stress-test. The step exits non-zero when a gate is missed, which fails the pipeline
before the deploy step.
"""

from __future__ import annotations

from hera.workflows import Artifact, WorkflowTemplate

from workflows._common import DEFAULTS, Sizing, params
from workflows._step import ComponentStep

__all__ = ["NAME", "OUTPUTS", "PARAMETERS", "ROWS_DIR", "STEP", "template"]

NAME = "stress-test"
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
    """The `stress-test` WorkflowTemplate."""
    return STEP.template()
