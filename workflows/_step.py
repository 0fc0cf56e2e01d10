"""The frame every WorkflowTemplate shares: parameters, entrypoint, hardening, deadline, exit handler.

Called by every template module of `workflows/`. A template declares its parameters once, as
`(name, default)` pairs: the WorkflowSpec's `arguments` get the defaults (so `argo submit --from
workflowtemplate/<name>` works on its own) and the entrypoint's `inputs` get the names without defaults
(so a caller going through `templateRef` must pass every one of them). A default of None makes the
workflow argument required too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hera.workflows import Artifact, Parameter, WorkflowTemplate

from workflows._common import (
    NAMESPACE,
    OUTPUTS_DIR,
    SERVICE_ACCOUNT,
    Sizing,
    component_container,
    output_parameter,
    pod_security,
)

__all__ = ["LABELS", "ComponentStep", "Params", "arguments", "inputs", "workflow_template"]

#: Labels on every WorkflowTemplate and on the Workflows they start.
LABELS = {"app.kubernetes.io/part-of": "sluicegate", "app.kubernetes.io/component": "pipeline"}

#: `(name, default)` pairs; a default of None makes the parameter required.
Params = Sequence[tuple[str, str | None]]


def arguments(params: Params) -> list[Parameter]:
    """Workflow arguments with their defaults; a parameter without a default must be given at submission."""
    return [Parameter(name=name) if value is None else Parameter(name=name, value=value) for name, value in params]


def inputs(params: Params) -> list[Parameter]:
    """Input parameters of a template: declared without defaults, so every caller must supply them."""
    return [Parameter(name=name) for name, _ in params]


def workflow_template(
    name: str, params: Params, deadline_seconds: int, *, on_exit: str | None = None
) -> WorkflowTemplate:
    """A WorkflowTemplate whose entrypoint is the template called `name`; create that template inside it."""
    return WorkflowTemplate(
        name=name,
        namespace=NAMESPACE,
        labels=dict(LABELS),
        entrypoint=name,
        on_exit=on_exit,
        arguments=arguments(params),
        service_account_name=SERVICE_ACCOUNT,
        security_context=pod_security(),
        active_deadline_seconds=deadline_seconds,
    )


@dataclass(frozen=True)
class ComponentStep:
    """A WorkflowTemplate with one container step that runs `python -m components.<module>`.

    `args` may use `{{inputs.parameters.<p>}}` for every `p` in `params`; `--outputs-dir` is appended.
    Each name in `outputs` becomes an output parameter read from `/tmp/outputs/<name>`.
    """

    name: str
    module: str
    params: Params
    args: Sequence[str]
    outputs: Sequence[str]
    sizing: Sizing
    retries: int
    input_artifacts: Sequence[Artifact] = ()
    output_artifacts: Sequence[Artifact] = ()

    def template(self) -> WorkflowTemplate:
        """The WorkflowTemplate; the components image is read now, at render time."""
        # The workflow's own deadline leaves room for scheduling and every retry of the step.
        with workflow_template(self.name, self.params, self.sizing.deadline_seconds * (self.retries + 1)) as w:
            component_container(
                self.name,
                self.module,
                [*self.args, f"--outputs-dir={OUTPUTS_DIR}"],
                inputs=[*inputs(self.params), *self.input_artifacts],
                outputs=[*self.output_artifacts, *(output_parameter(o) for o in self.outputs)],
                sizing=self.sizing,
                retries=self.retries,
            )
        return w
