"""The Sensors: `train-on-push`, `evaluate-on-mlflow`, `notify-outcome` (with their ServiceAccounts).

Called by `events.manifests()`. The filters and parameter paths are written for the event shapes Argo
Events produces (github: `{headers, body, metadata}` with `X-GitHub-Event` injected into the body;
webhook: `{header, body, metadata}`), so they work unchanged on a cluster and in the local runtime.
"""

from __future__ import annotations

import re
from typing import Any

from hera.events.models import (
    ArgoWorkflowTrigger,
    ArtifactLocation,
    DataFilter,
    EventDependency,
    EventDependencyFilter,
    ExprFilter,
    LogTrigger,
    PayloadField,
    Sensor,
    SensorSpec,
    SlackTrigger,
    Trigger,
    TriggerParameter,
    TriggerParameterSource,
    TriggerTemplate,
)
from pydantic import BaseModel, ConfigDict

from events._build import NAMESPACE, PolicyRule, dump, meta, pod_template, rbac_for_sensor, secret

__all__ = [
    "SLACK_SECRET",
    "SensorsConfig",
    "evaluate_on_mlflow",
    "notify_outcome",
    "paths_regex",
    "sensors",
    "train_on_push",
]

#: Secret holding the Slack bot token (`sluice secret set slack-bot token xoxb-...`).
SLACK_SECRET = ("slack-bot", "token")
# What an argoWorkflow `submit` trigger calls (argo-events v1.9.10 pkg/sensors/triggers/argo-workflow/
# argo-workflow.go): the bundled `argo submit` validates the workflow, getting every WorkflowTemplate it
# references (argo-workflows server/workflow/workflow_server.go CreateWorkflow), creates it, and the
# trigger then lists workflows by its labels to find what it created.
_SUBMIT_RULES = [
    PolicyRule(api_groups=["argoproj.io"], resources=["workflows"], verbs=["create", "list"]),
    PolicyRule(api_groups=["argoproj.io"], resources=["workflowtemplates"], verbs=["get"]),
]


class SensorsConfig(BaseModel):
    """What the Sensors can be configured with."""

    model_config = ConfigDict(frozen=True)

    #: Files (exact) and folders (ending in `/`) whose change starts training; empty: any change of the
    #: default branch (a model repository is the model: its code, data, environment and sluicegate.yaml).
    training_paths: tuple[str, ...] = ()
    slack_channel: str = "ml-deploys"
    #: What a push starts: a model project (MLproject + sluicegate.yaml) from push to canary.
    pipeline_template: str = "project-pipeline"
    #: The pipeline's `build-target`: `auto` builds the project's environment where the step runs (the
    #: local stack's environments folder, or a Kaniko image on a cluster).
    build_target: str = "auto"
    evaluate_template: str = "evaluate-and-deploy"
    #: What evaluates a version of a model project registered outside the pipeline (its run names its source).
    project_evaluate_template: str = "evaluate-project-version"
    retries: int = 3


def paths_regex(paths: tuple[str, ...]) -> str:
    """A regex matching a JSON-quoted file name that is one of `paths` or under one of its folders."""
    alts = [re.escape(p) + '[^"]*' if p.endswith("/") else re.escape(p) for p in paths]
    return '"(' + "|".join(alts) + ')"'


def _param(dep: str, dest: str, key: str = "", template: str = "", default: str | None = None) -> TriggerParameter:
    src = TriggerParameterSource(
        dependency_name=dep, data_key=key or None, data_template=template or None, value=default
    )
    return TriggerParameter(src=src, dest=dest)


def _workflow(template: str, params: list[str], trigger_label: str, fixed: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "generateName": f"{template}-",
            "namespace": NAMESPACE,
            "labels": {"sluicegate.io/started-by": trigger_label},
        },
        "spec": {
            "workflowTemplateRef": {"name": template},
            "arguments": {
                "parameters": [
                    *({"name": p, "value": ""} for p in params),
                    *({"name": k, "value": v} for k, v in fixed.items()),
                ]
            },
        },
    }


def _submit(
    name: str,
    conditions: str,
    template: str,
    wf_params: dict[str, TriggerParameter],
    dep: str,
    fixed: dict[str, str] | None = None,
) -> tuple[Trigger, dict[str, Any]]:
    """An at-least-once argoWorkflow submit with retries and a dead-letter log trigger, and its Workflow.

    `wf_params` come from the event (the first arguments, in order); `fixed` are written into the Workflow.
    """
    names = list(wf_params)
    params = [
        p.model_copy(update={"dest": f"spec.arguments.parameters.{i}.value"}) for i, p in enumerate(wf_params.values())
    ]
    tt = TriggerTemplate(
        name=name,
        conditions=conditions,
        argo_workflow=ArgoWorkflowTrigger(operation="submit", source=ArtifactLocation(), parameters=params),
    )
    dlq = Trigger(template=TriggerTemplate(name=f"{name}-dead-letter", log=LogTrigger()))
    return Trigger(template=tt, at_least_once=True, dlq_trigger=dlq), _workflow(template, names, dep, fixed or {})


def _slack(name: str, conditions: str, message: TriggerParameter, blocks: TriggerParameter | None = None) -> Trigger:
    cfg = SensorsConfig()
    params = [message.model_copy(update={"dest": "slack.message"})]
    if blocks is not None:
        params.append(blocks.model_copy(update={"dest": "slack.blocks"}))
    tt = TriggerTemplate(
        name=name,
        conditions=conditions,
        slack=SlackTrigger(slack_token=secret(*SLACK_SECRET), channel=cfg.slack_channel, message="(set by parameters)"),
    )
    return Trigger(template=tt, parameters=params)


def _sensor(
    name: str,
    deps: list[EventDependency],
    triggers: list[Trigger | tuple[Trigger, dict[str, Any]]],
    rules: list[PolicyRule],
) -> list[Any]:
    sa, rbac = rbac_for_sensor(name, rules)
    plain = [t[0] if isinstance(t, tuple) else t for t in triggers]
    spec = SensorSpec(event_bus_name="default", template=pod_template(sa), dependencies=deps, triggers=plain)
    doc = dump(Sensor(metadata=meta(name), spec=spec), "Sensor")
    _finish_triggers(doc, [t[1] if isinstance(t, tuple) else None for t in triggers])
    return [*rbac, doc]


def _finish_triggers(doc: dict[str, Any], resources: list[dict[str, Any] | None]) -> None:
    # Hera 7.1 types K8SResource as an encoded string and Backoff.duration/factor as wrapper objects; the
    # CRD takes a plain object and a string/number, so those fields are written after the dump.
    for out, resource in zip(doc["spec"]["triggers"], resources, strict=True):
        if resource is not None:
            out["template"]["argoWorkflow"]["source"] = {"resource": resource}
            out["retryStrategy"] = {"steps": SensorsConfig().retries, "duration": "1s", "factor": 2.0, "jitter": 0.1}


def train_on_push(cfg: SensorsConfig | None = None) -> list[dict[str, Any]]:
    """Sensor `train-on-push`: a push to the default branch of a model repository starts its pipeline.

    With `training_paths`, only pushes whose commits add, modify or remove one of them do.
    """
    cfg = cfg or SensorsConfig()
    touched = paths_regex(cfg.training_paths) if cfg.training_paths else ""
    dep = EventDependency(
        name="push",
        event_source_name="github",
        event_name="push",
        filters_logical_operator="and",
        filters=EventDependencyFilter(
            exprs=[
                ExprFilter(
                    expr='event == "push" && deleted == false && ref == "refs/heads/" + branch',
                    fields=[
                        PayloadField(name="event", path="body.X-GitHub-Event"),
                        PayloadField(name="deleted", path="body.deleted"),
                        PayloadField(name="ref", path="body.ref"),
                        PayloadField(name="branch", path="body.repository.default_branch"),
                    ],
                )
            ],
            data=[
                DataFilter(path=f"body.commits.#.{change}", type="string", value=[touched])
                for change in ("added", "modified", "removed")
            ]
            if touched
            else None,
            data_logical_operator="or" if touched else None,
        ),
    )
    submit = _submit(
        f"start-{cfg.pipeline_template}",
        "push",
        cfg.pipeline_template,
        {
            "git-repo": _param("push", "", key="body.repository.clone_url"),
            "git-revision": _param("push", "", key="body.after"),
        },
        "git-push",
        {"build-target": cfg.build_target},
    )
    announce = _slack(
        "announce-training",
        "push",
        _param(
            "push",
            "",
            template=(
                ":rocket: Training `{{ .Input.body.repository.full_name }}` at "
                "`{{ .Input.body.after | trunc 12 }}` ({{ len .Input.body.commits }} commit(s) by "
                '{{ .Input.body.pusher.name | default "someone" }}): {{ .Input.body.head_commit.message | default "" }}'
            ),
            default="Training started",
        ),
    )
    return _sensor("train-on-push", [dep], [submit, announce], _SUBMIT_RULES)


def _evaluate(
    cfg: SensorsConfig, name: str, dep: str, model_key: str, version_key: str, project: bool
) -> tuple[Trigger, dict[str, Any]]:
    """Submit the evaluation of the model version an event names.

    With `project`, `evaluate-project-version` for the version of a model project at the event's `git_repo`
    and `git_revision` (judged by its sluicegate.yaml, in its environment); else evaluate-and-deploy.
    Where the model is loaded from (the template's `mlflow-tracking-uri`, the project's MLflow service) is
    pinned by the template, so an event naming another MLflow server can never make a step load and run that
    server's code.
    """
    params = {
        "model-name": _param(dep, "", key=model_key),
        "model-version": _param(dep, "", key=version_key),
    }
    if not project:
        return _submit(name, dep, cfg.evaluate_template, params, f"mlflow-{dep}")
    source = {
        "git-repo": _param(dep, "", key="body.git_repo"),
        "git-revision": _param(dep, "", key="body.git_revision"),
    }
    template = cfg.project_evaluate_template
    return _submit(name, dep, template, {**params, **source}, f"mlflow-{dep}", {"build-target": cfg.build_target})


#: Lua (Argo Events' `script` filter): the event names no project source, the field empty or absent.
_NO_PROJECT_SOURCE = 'return event.body.git_repo == nil or event.body.git_repo == ""'


def evaluate_on_mlflow(cfg: SensorsConfig | None = None) -> list[dict[str, Any]]:
    """Sensor `evaluate-on-mlflow`: a model from outside our pipeline is evaluated only when asked for.

    The request is the run tag `sluicegate.evaluate=true`, set by a caller MLflow authenticated. A version
    registered while its tagged run ran is evaluated when the run finishes; one registered after the run
    finished, when it is created. Untagged versions start nothing (registering is not deploying).
    A run that names its source (the relay's `git_repo`/`git_revision`, both set or both empty) is a model
    project's: `evaluate-project-version` judges it; any other (the fields empty, or absent in an event of an
    older relay), evaluate-and-deploy.
    """
    cfg = cfg or SensorsConfig()
    asked = [
        DataFilter(path="body.produced_by_pipeline", type="bool", value=["false"]),
        DataFilter(path="body.evaluate_tagged", type="bool", value=["true"]),
    ]
    on_version = [DataFilter(path="body.registered_after_run", type="bool", value=["true"])]
    on_run = [
        DataFilter(path="body.status", type="string", value=["^FINISHED$"]),
        DataFilter(path="body.model_version", type="string", value=["^[0-9]+$"]),
        DataFilter(path="body.registered_during_run", type="bool", value=["true"]),
    ]
    deps: list[EventDependency] = []
    triggers: list[Trigger | tuple[Trigger, dict[str, Any]]] = []
    for project in (False, True):
        prefix = "project-" if project else ""
        # A data filter fails on a missing path, so "no project source" is a script: an event of a relay older
        # than the git_repo field still reaches evaluate-and-deploy instead of starting nothing.
        source = (
            [DataFilter(path=f"body.{key}", type="string", value=["."]) for key in ("git_repo", "git_revision")]
            if project
            else []
        )
        script = None if project else _NO_PROJECT_SOURCE
        for dep, event, filters, trigger, keys in (
            ("version-created", "model-version-created", on_version, "new-version", ("body.name", "body.version")),
            ("run-finished", "run-finished", on_run, "tagged-run", ("body.model_name", "body.model_version")),
        ):
            deps.append(
                EventDependency(
                    name=prefix + dep,
                    event_source_name="mlflow",
                    event_name=event,
                    filters=EventDependencyFilter(data=[*asked, *filters, *source], script=script),
                )
            )
            triggers.append(_evaluate(cfg, f"evaluate-{prefix}{trigger}", prefix + dep, *keys, project))
    return _sensor("evaluate-on-mlflow", deps, triggers, _SUBMIT_RULES)


_P = ".Input.body.parameters"
#: Block Kit message of a workflow outcome (a JSON array once rendered).
OUTCOME_BLOCKS = "".join(
    [
        '[{"type":"header","text":{"type":"plain_text","text":{{ printf "%s: %s"',
        ' (.Input.body.workflow | default "workflow") (.Input.body.status | default "Unknown") | toJson }}}},',
        '{"type":"section","fields":[',
        '{"type":"mrkdwn","text":{{ printf "*Commit*\\n%s"',
        f' (index {_P} "git-revision" | default "-" | trunc 12) | toJson }}}}}},',
        '{"type":"mrkdwn","text":{{ printf "*Model*\\n%s %s"',
        f' (index {_P} "model-name" | default "-") (index {_P} "model-version" | default "") | toJson }}}}}},',
        '{"type":"mrkdwn","text":{{ printf "*Decision*\\n%s" (.Input.body.decision | default "-") | toJson }}}',
        "{{ range $k, $v := .Input.body.metrics }}",
        ',{"type":"mrkdwn","text":{{ printf "*%s*\\n%v" $k $v | toJson }}}',
        "{{ end }}]},",
        '{"type":"section","text":{"type":"mrkdwn","text":{{ printf "MLflow run: %s"',
        f' (.Input.body.run_url | default (index {_P} "mlflow-tracking-uri") | default "-") | toJson }}}}}}}}',
        # the evaluation report (metrics side by side, MLflow's plots), when the workflow evaluated a version
        '{{ if .Input.body.report_url }},{"type":"section","text":{"type":"mrkdwn","text":{{ printf',
        ' "Evaluation report: %s" .Input.body.report_url | toJson }}}}{{ end }}',
        # failed steps (Argo's workflow.failures), at most 10: a context block's element limit
        '{{ if .Input.body.failures }},{"type":"context","elements":[',
        "{{ range $i, $f := .Input.body.failures }}{{ if lt $i 10 }}{{ if $i }},{{ end }}",
        '{"type":"mrkdwn","text":{{ printf "*%s* failed: %s" ($f.displayName | default "step")',
        ' ($f.message | default "") | trunc 300 | toJson }}}{{ end }}{{ end }}]}{{ end }}]',
    ]
)


def notify_outcome(cfg: SensorsConfig | None = None) -> list[dict[str, Any]]:
    """Sensor `notify-outcome`: every workflow outcome record becomes a Slack Block Kit message."""
    del cfg
    dep = EventDependency(
        name="outcome",
        event_source_name="workflow-events",
        event_name="outcome",
        filters=EventDependencyFilter(data=[DataFilter(path="body.status", type="string", value=[".+"])]),
    )
    text = _param(
        "outcome",
        "",
        # the failing step's one line (`reason`, from its termination message) is in the notification text
        template="{{ .Input.body.workflow }}: {{ .Input.body.status }}"
        "{{ if .Input.body.reason }} ({{ .Input.body.reason }}){{ end }}",
        default="A workflow finished",
    )
    blocks = _param("outcome", "", template=OUTCOME_BLOCKS, default="[]")
    return _sensor("notify-outcome", [dep], [_slack("announce-outcome", "outcome", text, blocks)], [])


def sensors(cfg: SensorsConfig | None = None) -> list[dict[str, Any]]:
    """Every Sensor with its ServiceAccount, Role and RoleBinding."""
    return [*train_on_push(cfg), *evaluate_on_mlflow(cfg), *notify_outcome(cfg)]
