"""The argoWorkflow trigger's operations other than `submit`, applied to the store with the engine's verbs.

Called by `_triggers.TriggerRunner` with the trigger's object (its parameters applied). Argo Events runs
`argo -n NS <op> NAME <args>` for them; here the workflow controller's verbs do the same to the store and the
controller acts on it as it does on the API's. The eventing package does not import the engine (they are
sibling layers): the stack hands the engine's `actions` and `submit` in as `WorkflowVerbs`. The object's
`metadata.name` names the Workflow (for `submit-from`: the CronWorkflow or WorkflowTemplate, by the object's
`kind`); its namespace, else the Sensor's, is the namespace.

`submit-from` and `resubmit` make a new Workflow, labelled with the trigger key so that a redelivered event
finds it instead of making a second; `retry` records the key on the Workflow it retried for the same
reason. `resume`, `suspend`, `stop` and `terminate` are idempotent and their message says when there was
nothing to do. A verb the engine refuses fails the trigger with the engine's reason. `args` are the flags
of the `argo` command that the engine's verb takes (see `_TABLES`); any other flag fails the trigger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sluicegate.errors import ConflictError, ManifestError, NotFoundError
from sluicegate.eventing._k8s import TRIGGER_KEY_LABEL, made_for
from sluicegate.eventing._submit_args import SUBMIT, FlagTable, apply_submit_args, argument_pairs, parse_args
from sluicegate.store import Store

__all__ = ["OPERATIONS", "WorkflowActions", "WorkflowSubmit", "WorkflowVerbs", "workflow_operation"]

Doc = dict[str, Any]


class WorkflowActions(Protocol):
    """The Workflow actions the operations apply: `sluicegate.engine.actions` is one."""

    def is_suspended(self, doc: Doc) -> bool: ...

    def resubmission(self, old: Doc, parameters: dict[str, str] | None = ...) -> Doc: ...

    def retried(
        self,
        doc: Doc,
        restart_successful: bool = ...,
        node_field_selector: str | None = ...,
        parameters: dict[str, str] | None = ...,
    ) -> Doc: ...

    def resume(self, store: Store, namespace: str, name: str, node_field_selector: str | None = ...) -> Doc: ...

    def suspend(self, store: Store, namespace: str, name: str) -> Doc: ...

    def stop(
        self, store: Store, namespace: str, name: str, message: str | None = ..., node_field_selector: str | None = ...
    ) -> Doc: ...

    def terminate(self, store: Store, namespace: str, name: str) -> Doc: ...


class WorkflowSubmit(Protocol):
    """Workflows made from templates, as the Argo Server makes them: `sluicegate.engine.submit` is one."""

    def from_cron(self, cron: Doc, opts: Doc) -> Doc: ...

    def from_template(self, template_doc: Doc, submit_opts: Doc | None = ...) -> Doc: ...


@dataclass(frozen=True)
class WorkflowVerbs:
    """The workflow controller's verbs, handed to the trigger runner by the stack."""

    actions: WorkflowActions
    submit: WorkflowSubmit


#: Argo Events' argoWorkflow operations.
OPERATIONS = ("submit", "submit-from", "resubmit", "resume", "retry", "suspend", "terminate", "stop")

#: Annotation of a Workflow retried by a trigger: the trigger key of that run.
RETRIED_FOR = "sluicegate.io/retried-for-trigger-key"

_FROM_KINDS = {"cronworkflow": "CronWorkflow", "workflowtemplate": "WorkflowTemplate"}
_SELECTOR = "--node-field-selector"
_TABLES = {
    "resubmit": FlagTable(
        "argo resubmit", ("-p/--parameter",), values=frozenset(("parameter",)), short={"p": "parameter"}
    ),
    "retry": FlagTable(
        "argo retry",
        ("-p/--parameter", "--restart-successful", _SELECTOR),
        values=frozenset(("parameter", "node-field-selector")),
        switches=frozenset(("restart-successful",)),
        short={"p": "parameter"},
    ),
    "resume": FlagTable("argo resume", (_SELECTOR,), values=frozenset(("node-field-selector",))),
    "stop": FlagTable("argo stop", ("--message", _SELECTOR), values=frozenset(("message", "node-field-selector"))),
    "suspend": FlagTable("argo suspend", ()),
    "terminate": FlagTable("argo terminate", ()),
}


def workflow_operation(
    verbs: WorkflowVerbs | None, store: Store, op: str, obj: Doc, namespace: str, args: Sequence[Any], key: str
) -> tuple[str, str]:
    """Run operation `op` (not `submit`) for the trigger object `obj`: (message, the Workflow's name).

    `verbs`: the controller's (None: a runner without a workflow controller, which fails every operation);
    `namespace`: the Sensor's; `key`: the trigger key of this run (`_k8s.trigger_key`).
    """
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    if not name:
        raise ManifestError(
            f"failed to execute the workflow {op} operation, no name is given",
            where="argoWorkflow.source: metadata.name",
            fix="name the Workflow (for submit-from: the template) in the object, or set it with a parameter",
        )
    ns = str(meta.get("namespace") or namespace)
    if op != "submit-from" and op not in _TABLES:
        raise ManifestError(
            f"unknown operation type {op}", where="argoWorkflow.operation", fix=f"use one of {', '.join(OPERATIONS)}"
        )
    target = f"{obj.get('kind') or 'object'} {ns}/{name}" if op == "submit-from" else f"Workflow {ns}/{name}"
    if verbs is None:
        raise ManifestError(
            f"argoWorkflow operation {op} needs the workflow controller, and this trigger runner has none",
            where=f"argoWorkflow ({target})",
            fix="run the sensor in the stack (`sluice up`), or give TriggerRunner the engine's verbs",
        )
    try:
        if op == "submit-from":
            return _submit_from(verbs.submit, store, obj, ns, name, args, key)
        flags = parse_args(args, _TABLES[op])
        if op == "resubmit":
            return _resubmit(verbs.actions, store, ns, name, flags.parameters, key)
        if op == "retry":
            return _retry(verbs.actions, store, ns, name, flags.values, flags.parameters, key)
        return _verb(verbs.actions, store, op, ns, name, flags.values)
    except (ConflictError, ManifestError, NotFoundError) as e:
        raise type(e)(f"failed to execute {op} for {target}: {e.what}", where=e.where, fix=e.fix) from e


def _submit_from(
    submit: WorkflowSubmit, store: Store, obj: Doc, ns: str, name: str, args: Sequence[Any], key: str
) -> tuple[str, str]:
    """`argo submit --from cronwf/NAME` or `workflowtemplate/NAME`, its submit flags applied to the new Workflow."""
    kind = _FROM_KINDS.get(str(obj.get("kind") or "").lower())
    if kind is None:
        raise ManifestError(
            f"invalid kind {obj.get('kind') or ''}",
            where="argoWorkflow.source: kind",
            fix="submit-from takes a CronWorkflow or a WorkflowTemplate",
        )
    if "priority" in parse_args(args, SUBMIT).values:
        raise ManifestError(
            "`argo submit --from` does not apply --priority",
            where="argoWorkflow.args",
            fix=f"set spec.priority in the {kind} instead",
        )
    earlier = made_for(store, "Workflow", ns, key)
    if earlier:
        return f"Workflow {ns}/{earlier} was already submitted from {kind} {name} for these events", earlier
    source = store.get(kind, ns, name)
    wf = submit.from_cron(source, {}) if kind == "CronWorkflow" else submit.from_template(source)
    wf["metadata"]["namespace"] = ns
    wf = apply_submit_args(wf, args)
    wf["metadata"].setdefault("labels", {})[TRIGGER_KEY_LABEL] = key
    created = store.create(wf)["metadata"]["name"]
    return f"submitted Workflow {ns}/{created} from {kind} {name}", str(created)


def _resubmit(
    actions: WorkflowActions, store: Store, ns: str, name: str, parameters: list[str], key: str
) -> tuple[str, str]:
    """`argo resubmit NAME [-p NAME=VALUE ...]`: a new Workflow with the old one's spec."""
    earlier = made_for(store, "Workflow", ns, key)
    if earlier:
        return f"Workflow {ns}/{earlier} was already resubmitted from {name} for these events", earlier
    new = actions.resubmission(store.get("Workflow", ns, name), argument_pairs(parameters))
    new["metadata"]["labels"][TRIGGER_KEY_LABEL] = key
    created = store.create(new)["metadata"]["name"]
    return f"resubmitted Workflow {ns}/{name} as {ns}/{created}", str(created)


def _retry(
    actions: WorkflowActions, store: Store, ns: str, name: str, flags: dict[str, str], parameters: list[str], key: str
) -> tuple[str, str]:
    """`argo retry NAME [-p NAME=VALUE]... [--restart-successful] [--node-field-selector S]`, once per trigger key."""
    done_before = False
    given = argument_pairs(parameters)

    def retried(doc: Doc) -> Doc:
        nonlocal done_before
        annotations = doc["metadata"].setdefault("annotations", {})
        done_before = annotations.get(RETRIED_FOR) == key
        if not done_before:
            selector = flags.get("node-field-selector")
            doc = actions.retried(doc, flags.get("restart-successful") == "true", selector, given)
            annotations[RETRIED_FOR] = key
        return doc

    store.mutate("Workflow", ns, name, retried)
    if done_before:
        return f"Workflow {ns}/{name} was already retried for these events", name
    return f"retried Workflow {ns}/{name}", name


def _verb(
    actions: WorkflowActions, store: Store, op: str, ns: str, name: str, flags: dict[str, str]
) -> tuple[str, str]:
    """`argo resume|suspend|stop|terminate NAME` with the flags the engine's verb takes."""
    doc = store.get("Workflow", ns, name)
    where = f"Workflow {ns}/{name}"
    selector = flags.get("node-field-selector") or None
    if op == "resume":
        if not selector and not actions.is_suspended(doc):
            return f"{where} was not suspended: nothing to resume", name
        actions.resume(store, ns, name, node_field_selector=selector)
        return f"resumed {where}" + (f" (suspend nodes matching {selector})" if selector else ""), name
    if op == "suspend":  # the engine refuses a completed workflow
        if (doc.get("spec") or {}).get("suspend"):
            return f"{where} was already suspended", name
        actions.suspend(store, ns, name)
        return f"suspended {where}", name
    if op == "stop":  # with a selector, as Argo: the matching suspend nodes fail, the workflow runs on
        actions.stop(store, ns, name, flags.get("message") or None, node_field_selector=selector)
        return (f"stopped the suspend nodes of {where} matching {selector}" if selector else f"stopped {where}"), name
    actions.terminate(store, ns, name)
    return f"terminated {where}", name
