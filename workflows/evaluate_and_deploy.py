"""WorkflowTemplate `evaluate-and-deploy`: evaluate -> (promote) build -> stress-test -> deploy.

Called by `workflows.manifests()`. Two callers run it: `model-pipeline` reaches its DAG template through
`templateRef` evaluate-and-deploy/evaluate-and-deploy after training, and the Sensor `evaluate-on-mlflow`
submits it on its own for model versions registered outside the pipeline (e.g. from a notebook).

The DAG reads only its own inputs (never `workflow.parameters`), so it behaves the same under both
callers. Build runs only when evaluate decides `promote`; stress-test and deploy depend on
`.Succeeded` explicitly, because a bare dependency on a Skipped task would still let them run.

Deploy is per model: the model's Services, Ingress and Rollout (as `rollouts` defines them) are applied,
so the first deployment of a model name creates them and any number of models run side by side.
"""

from __future__ import annotations

from typing import Any

import yaml
from hera.workflows import DAG, Parameter, Resource, Step, Steps, Task, WorkflowTemplate
from hera.workflows import models as m

from rollouts import ModelService, ingress, rollout, services
from workflows import build, evaluate, stress_test
from workflows._common import SERVICE_ACCOUNT, params, pod_security, retry
from workflows._record import NAME as RECORD_OUTCOME
from workflows._record import record_outcome
from workflows._step import inputs, workflow_template

__all__ = [
    "EXIT_PARAMETERS",
    "MODEL_URI_ANNOTATION",
    "NAME",
    "PARAMETERS",
    "ROLLOUT_REF",
    "SERVICE_STEPS",
    "deploy_manifest",
    "template",
]

NAME = "evaluate-and-deploy"
PARAMETERS = params(
    "model-name",
    "model-version",
    "dataset",
    "mlflow-tracking-uri",
    "min-improvement",
    "p99-latency-ms",
    "max-error-rate",
    "target-rps",
    "stress-duration-seconds",
    "service-url",
    "build-target",
)
#: Read only by the exit handler, so they are workflow arguments but not inputs of the DAG.
EXIT_PARAMETERS = params("notify-url")

#: The pod-template annotation of a model's Rollout that names the model version it serves.
MODEL_URI_ANNOTATION = "sluicegate.io/model-uri"
_MODEL = "{{inputs.parameters.model-name}}"
#: The model's service, as `rollouts` defines it, with the version to deploy in its pod template.
_SERVICE = ModelService(name=_MODEL, model_uri=f"models:/{_MODEL}/{{{{inputs.parameters.model-version}}}}")


def _yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def deploy_manifest() -> str:
    """The deploy step's manifest: the model's Rollout, naming the new version in its pod template.

    Applied, so the first deployment of a model creates its Rollout; later ones change the pod template's
    model URI, which starts the canary. Built at render time (the components image is read then).
    """
    return _yaml(rollout(_SERVICE).to_dict())


#: Resource steps applied before the Rollout, so a model deployed for the first time gets its stable and
#: canary Services and its Ingress; objects already there and unchanged stay as they are.
SERVICE_STEPS = ("apply-stable-service", "apply-canary-service", "apply-ingress")


def _service_manifests() -> dict[str, str]:
    stable, canary = services(_SERVICE)
    docs = (stable.to_dict(), canary.to_dict(), ingress(_SERVICE).to_dict())
    return {name: _yaml(doc) for name, doc in zip(SERVICE_STEPS, docs, strict=True)}


#: The model's Rollout, for the steps that only read it.
ROLLOUT_REF = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: "{{inputs.parameters.model-name}}"
"""
# Long enough for the Rollout's canary steps and analysis to finish.
DEPLOY_DEADLINE_SECONDS = 3600
# The controller acts on a new spec within seconds; minutes mean it is not running.
OBSERVE_DEADLINE_SECONDS = 600
# Every step's deadline once, plus slack for scheduling and retries.
DEADLINE_SECONDS = 4 * 3600


def _arg(name: str) -> tuple[str, str]:
    return name, f"{{{{inputs.parameters.{name}}}}}"


def _resource(name: str, deadline: int, **fields: Any) -> Resource:
    return Resource(
        name=name,
        pod_security_context=pod_security(),
        service_account_name=SERVICE_ACCOUNT,
        active_deadline_seconds=str(deadline),
        retry_strategy=retry(1),
        **fields,
    )


def _apply(name: str, manifest: str) -> Resource:
    return _resource(name, 300, action="apply", manifest=manifest, inputs=[Parameter(name="model-name")])


def _deploy() -> None:
    """`deploy`: apply the Rollout, wait until its controller has seen that spec, then until it is Healthy.

    A success condition on the apply itself would read the status of the previous spec: Argo Workflows
    v4.0.6 evaluates it on whatever the object says (workflow/executor/resource.go, matchConditions, with
    no observedGeneration check), and a Rollout that was Healthy stays Healthy until its controller
    reconciles. So, as Argo CD's Rollout health check does, wait for `status.observedGeneration` to reach
    the generation the apply produced first. Argo OR-s failure conditions, so the Degraded check cannot
    be combined with the generation in one step; it runs in the third step, once the status is current
    (a Rollout aborted earlier is Degraded until it sees the new spec).
    """
    _resource(
        "deploy-apply",
        OBSERVE_DEADLINE_SECONDS,
        action="apply",
        manifest=deploy_manifest(),
        inputs=[Parameter(name="model-name"), Parameter(name="model-version")],
        outputs=[Parameter(name="generation", value_from=m.ValueFrom(json_path="{.metadata.generation}"))],
    )
    _resource(
        "deploy-observed",
        OBSERVE_DEADLINE_SECONDS,
        action="get",
        manifest=ROLLOUT_REF,
        success_condition="status.observedGeneration == {{inputs.parameters.generation}}",
        inputs=[Parameter(name="model-name"), Parameter(name="generation")],
    )
    _resource(
        "deploy-healthy",
        DEPLOY_DEADLINE_SECONDS,
        action="get",
        manifest=ROLLOUT_REF,
        success_condition="status.phase == Healthy",
        failure_condition="status.phase == Degraded",
        inputs=[Parameter(name="model-name")],
    )
    name = {"model-name": "{{inputs.parameters.model-name}}"}
    with Steps(name="deploy", inputs=[Parameter(name="model-name"), Parameter(name="model-version")]):
        Step(name="apply", template="deploy-apply", arguments=dict([*name.items(), _arg("model-version")]))
        Step(
            name="observed",
            template="deploy-observed",
            arguments={**name, "generation": "{{steps.apply.outputs.parameters.generation}}"},
        )
        Step(name="healthy", template="deploy-healthy", arguments=name)


def _dag() -> DAG:
    with DAG(
        name=NAME,
        inputs=inputs(PARAMETERS),
        outputs=[
            Parameter(
                name="decision",
                value_from=m.ValueFrom(parameter="{{tasks.evaluate.outputs.parameters.decision}}"),
            )
        ],
    ) as dag:
        Task(
            name="evaluate",
            template_ref=m.TemplateRef(name=evaluate.NAME, template=evaluate.NAME),
            arguments=dict(
                [
                    _arg("model-name"),
                    _arg("model-version"),
                    _arg("dataset"),
                    _arg("min-improvement"),
                    _arg("mlflow-tracking-uri"),
                ]
            ),
        )
        Task(
            name="build",
            template_ref=m.TemplateRef(name=build.NAME, template=build.NAME),
            depends="evaluate",
            when="'{{tasks.evaluate.outputs.parameters.decision}}' == 'promote'",
            arguments=dict(
                [_arg("model-name"), _arg("model-version"), _arg("build-target"), _arg("mlflow-tracking-uri")]
            ),
        )
        Task(
            name="stress-test",
            template_ref=m.TemplateRef(name=stress_test.NAME, template=stress_test.NAME),
            depends="build.Succeeded",
            arguments={
                "service-url": "{{inputs.parameters.service-url}}",
                "model-uri": "models:/{{inputs.parameters.model-name}}/{{inputs.parameters.model-version}}",
                "target-rps": "{{inputs.parameters.target-rps}}",
                "duration-seconds": "{{inputs.parameters.stress-duration-seconds}}",
                "p99-latency-ms": "{{inputs.parameters.p99-latency-ms}}",
                "max-error-rate": "{{inputs.parameters.max-error-rate}}",
                "dataset": "{{inputs.parameters.dataset}}",
                "mlflow-tracking-uri": "{{inputs.parameters.mlflow-tracking-uri}}",
            },
        )
        for name in SERVICE_STEPS:
            Task(name=name, template=name, depends="stress-test.Succeeded", arguments=dict([_arg("model-name")]))
        Task(
            name="deploy",
            template="deploy",
            depends=" && ".join(f"{name}.Succeeded" for name in SERVICE_STEPS),
            arguments=dict([_arg("model-name"), _arg("model-version")]),
        )
    return dag


def template() -> WorkflowTemplate:
    """The `evaluate-and-deploy` WorkflowTemplate."""
    with workflow_template(NAME, [*PARAMETERS, *EXIT_PARAMETERS], DEADLINE_SECONDS, on_exit=RECORD_OUTCOME) as w:
        _dag()
        for name, manifest in _service_manifests().items():
            _apply(name, manifest)
        _deploy()
        record_outcome(["model-name", "model-version", "mlflow-tracking-uri"])
    return w
