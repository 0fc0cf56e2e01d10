"""WorkflowTemplate `evaluate-and-deploy`: evaluate -> (promote) build -> stress-test -> deploy.

Called by `workflows.manifests()`. Two callers run it: `model-pipeline` reaches its DAG template through
`templateRef` evaluate-and-deploy/evaluate-and-deploy after training, and the Sensor `evaluate-on-mlflow`
submits it on its own for model versions registered outside the pipeline (e.g. from a notebook).

The DAG reads only its own inputs (never `workflow.parameters`), so it behaves the same under both
callers. Build runs only when evaluate decides `promote`; stress-test and deploy depend on
`.Succeeded` explicitly, because a bare dependency on a Skipped task would still let them run.

Deploy is per model: the model's Services, Ingress and Rollout (as `rollouts` defines them) are applied,
so the first deployment of a model name creates them and any number of models run side by side. The
Rollout and the model version name each other: the Rollout's annotations carry the model, version and the
deploying workflow (`ROLLOUT_ANNOTATIONS`), and the step `tag-rollout` tags the MLflow model version with the
Rollout (`argo.rollout`, `argo.rollout.generation`, `argo.rollout.revision`, `argo.rollout.workflow`;
`components.lineage`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from hera.workflows import DAG, Artifact, Container, Parameter, Resource, Step, Steps, Task, WorkflowTemplate
from hera.workflows import models as m

from contract import (
    DEPLOYED_BY_WORKFLOW_ANNOTATION,
    MODEL_NAME_ANNOTATION,
    MODEL_URI_ANNOTATION,
    MODEL_VERSION_ANNOTATION,
    REVISION_ANNOTATION,
)
from rollouts import ModelService, ingress, rollout, services
from workflows import build, evaluate, stress_test
from workflows._common import (
    NAMESPACE,
    SERVICE_ACCOUNT,
    Sizing,
    component_command,
    components_image,
    input_value,
    mlflow_auth_env,
    params,
    pod_security,
    retry,
    step_pod,
)
from workflows._record import EXIT_PARAMETERS, recorded_pipeline
from workflows._step import inputs

__all__ = [
    "CANARY",
    "EXIT_PARAMETERS",
    "LIMITS",
    "MODEL_URI_ANNOTATION",
    "NAME",
    "PARAMETERS",
    "ROLLOUT_ANNOTATIONS",
    "ROLLOUT_REF",
    "SERVICE_STEPS",
    "deploy_manifest",
    "deploy_tasks",
    "template",
]

NAME = "evaluate-and-deploy"
#: The canary analysis limits of the model's Rollout (sluicegate.yaml's `canary` block for a model project),
#: and the rows its stress-test analysis sends (`stress-rows`; empty: the `dataset`'s rows).
CANARY = (
    "canary-min-success-rate",
    "canary-max-p99-latency-ms",
    "canary-pause",
    "canary-interval",
    "canary-count",
    "canary-window",
    "stress-rows",
)
#: What the deploy tasks take besides the model: stress-test gates and canary limits.
LIMITS = ("target-rps", "stress-duration-seconds", "p99-latency-ms", "max-error-rate", *CANARY)
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
    *CANARY,
)

_MODEL = "{{inputs.parameters.model-name}}"


#: The model's service, as `rollouts` defines it, with the version to deploy in its pod template and the
#: canary limits of the deploy step's inputs.
_SERVICE = ModelService(
    name=_MODEL,
    model_uri=f"models:/{_MODEL}/{{{{inputs.parameters.model-version}}}}",
    pause=input_value("canary-pause"),
    interval=input_value("canary-interval"),
    count=input_value("canary-count"),
    window=input_value("canary-window"),
    min_success_rate=input_value("canary-min-success-rate"),
    max_p99_ms=input_value("canary-max-p99-latency-ms"),
    stress_p99_ms=input_value("p99-latency-ms"),
    stress_max_error_rate=input_value("max-error-rate"),
    stress_rps=input_value("target-rps"),
    stress_duration_seconds=input_value("stress-duration-seconds"),
    stress_rows=input_value("stress-rows"),
)
#: The deploy-apply step's inputs (the Rollout manifest reads them).
_ROLLOUT_INPUTS = (
    "model-name",
    "model-version",
    "p99-latency-ms",
    "max-error-rate",
    "target-rps",
    "stress-duration-seconds",
    *CANARY,
)
#: The `deploy` steps' inputs: the Rollout's, and the MLflow server whose version `tag-rollout` tags.
_DEPLOY_INPUTS = (*_ROLLOUT_INPUTS, "mlflow-tracking-uri")
#: Annotations of the Rollout object (not its pod template, so they start no canary): the lineage back from
#: the Rollout to the model version and the workflow that deployed it.
ROLLOUT_ANNOTATIONS = {
    MODEL_NAME_ANNOTATION: _MODEL,
    MODEL_VERSION_ANNOTATION: "{{inputs.parameters.model-version}}",
    DEPLOYED_BY_WORKFLOW_ANNOTATION: "{{workflow.name}}",
}


def _yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def deploy_manifest() -> str:
    """The deploy step's manifest: the model's Rollout, naming the new version in its pod template.

    Applied, so the first deployment of a model creates its Rollout; later ones change the pod template's
    model URI, which starts the canary. Built at render time (the components image is read then).
    """
    doc = rollout(_SERVICE).to_dict()
    doc["metadata"]["annotations"] = {**doc["metadata"].get("annotations", {}), **ROLLOUT_ANNOTATIONS}
    return _yaml(doc)


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
    return name, input_value(name)


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


#: Where Argo Rollouts writes a Rollout's current revision (a kubectl JSONPath, dots of the key escaped).
_REVISION_PATH = "{.metadata.annotations." + REVISION_ANNOTATION.replace(".", "\\.") + "}"


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
        inputs=[Parameter(name=n) for n in _ROLLOUT_INPUTS],
        outputs=[Parameter(name="generation", value_from=m.ValueFrom(json_path="{.metadata.generation}"))],
    )
    _resource(
        "deploy-observed",
        OBSERVE_DEADLINE_SECONDS,
        action="get",
        manifest=ROLLOUT_REF,
        success_condition="status.observedGeneration == {{inputs.parameters.generation}}",
        inputs=[Parameter(name="model-name"), Parameter(name="generation")],
        # the revision the controller gave this spec; written before the status that observes it
        outputs=[Parameter(name="revision", value_from=m.ValueFrom(json_path=_REVISION_PATH, default=""))],
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
    _tag_rollout()
    name = {"model-name": "{{inputs.parameters.model-name}}"}
    generation = {"generation": "{{steps.apply.outputs.parameters.generation}}"}
    with Steps(name="deploy", inputs=[Parameter(name=n) for n in _DEPLOY_INPUTS]) as steps:
        Step(name="apply", template="deploy-apply", arguments=dict(_arg(n) for n in _ROLLOUT_INPUTS))
        Step(name="observed", template="deploy-observed", arguments={**name, **generation})
        with steps.parallel():
            Step(name="healthy", template="deploy-healthy", arguments=name)
            tagged = ("model-name", "model-version", "mlflow-tracking-uri")
            revision = {"revision": "{{steps.observed.outputs.parameters.revision}}"}
            Step(
                name="tag-rollout",
                template="tag-rollout",
                arguments={**dict(map(_arg, tagged)), **generation, **revision},
            )


_TAG_SIZING = Sizing("100m", "1", "256Mi", "512Mi", "256Mi", 300)


def _tag_rollout() -> None:
    """`tag-rollout`: the model version gets the Rollout it was deployed to (`components.lineage`)."""
    Container(
        name="tag-rollout",
        image=components_image(),
        command=component_command("lineage"),
        args=[
            "--model-name={{inputs.parameters.model-name}}",
            "--model-version={{inputs.parameters.model-version}}",
            f"--rollout={NAMESPACE}/{{{{inputs.parameters.model-name}}}}",
            "--generation={{inputs.parameters.generation}}",
            "--revision={{inputs.parameters.revision}}",
            "--workflow={{workflow.name}}",
            "--tracking-uri={{inputs.parameters.mlflow-tracking-uri}}",
        ],
        env=mlflow_auth_env(),
        inputs=[
            Parameter(name=n) for n in ("model-name", "model-version", "mlflow-tracking-uri", "generation", "revision")
        ],
        **step_pod(_TAG_SIZING, 2),
    )


def deploy_tasks(value: Callable[[str], str], *, depends: str, when: str, ref: bool = False, rows: str = "") -> None:
    """The tasks after a `promote`: build, serve-env, stress-test, the model's Services and Ingress, then its Rollout.

    Added to the DAG being built. `value(name)` is the expression each parameter takes (`model-name`,
    `model-version`, `build-target`, `mlflow-tracking-uri`, `service-url`, `dataset`, and `LIMITS`);
    with `ref`, the templates of this WorkflowTemplate are reached through `templateRef` (from another
    WorkflowTemplate's DAG). `rows` is an artifact expression of the rows the stress test sends.
    """

    def own(name: str) -> dict[str, Any]:
        return {"template_ref": m.TemplateRef(name=NAME, template=name)} if ref else {"template": name}

    def args(*names: str) -> dict[str, str]:
        return {n: value(n) for n in names}

    Task(
        name="build",
        template_ref=m.TemplateRef(name=build.NAME, template=build.NAME),
        depends=depends,
        when=when,
        arguments=args("model-name", "model-version", "build-target", "mlflow-tracking-uri"),
    )
    stress: list[Any] = [
        Parameter(name=k, value=v)
        for k, v in {
            **args("service-url", "p99-latency-ms", "max-error-rate", "dataset", "mlflow-tracking-uri"),
            "model-uri": f"models:/{value('model-name')}/{value('model-version')}",
            "target-rps": value("target-rps"),
            "duration-seconds": value("stress-duration-seconds"),
        }.items()
    ]
    Task(
        name=stress_test.SERVE_ENV,
        template_ref=m.TemplateRef(name=stress_test.NAME, template=stress_test.SERVE_ENV),
        depends="build.Succeeded",
        arguments=list(stress),
    )
    if rows:
        stress.append(Artifact(name="rows", from_=rows))
    Task(
        name="stress-test",
        template_ref=m.TemplateRef(name=stress_test.NAME, template=stress_test.NAME),
        depends=f"{stress_test.SERVE_ENV}.Succeeded",
        arguments=stress,
    )
    for name in SERVICE_STEPS:
        Task(name=name, **own(name), depends="stress-test.Succeeded", arguments=args("model-name"))
    Task(
        name="deploy",
        **own("deploy"),
        depends=" && ".join(f"{name}.Succeeded" for name in SERVICE_STEPS),
        arguments=args(*_DEPLOY_INPUTS),
    )


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
        promoted = "'{{tasks.evaluate.outputs.parameters.decision}}' == 'promote'"
        deploy_tasks(input_value, depends="evaluate", when=promoted)
    return dag


def template() -> WorkflowTemplate:
    """The `evaluate-and-deploy` WorkflowTemplate."""

    def build() -> None:
        _dag()
        for name, manifest in _service_manifests().items():
            _apply(name, manifest)
        _deploy()

    return recorded_pipeline(
        NAME, PARAMETERS, DEADLINE_SECONDS, build, ["model-name", "model-version", "mlflow-tracking-uri"]
    )
