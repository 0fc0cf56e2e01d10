"""Submitting a Workflow from a WorkflowTemplate or a CronWorkflow, as the Argo Server's `submit` endpoint does.

Called by the API (`POST /api/v1/workflows/{ns}/submit`), the CLI and, handed over by the stack, the
argoWorkflow trigger's `submit-from` (`sluicegate.eventing`). `from_template`: the Workflow refers to
the template (`spec.workflowTemplateRef`), carries the label `workflows.argoproj.io/workflow-template`, and
applies Argo's `SubmitOpts`: `parameters` ("k=v" strings), `labels` ("a=b,c=d"), `annotations`, `entryPoint`,
`serviceAccount`, `name`, `generateName`. `from_cron`: the CronWorkflow's `spec.workflowSpec`, labelled
`workflows.argoproj.io/cron-workflow`, with the same SubmitOpts (`apply_submit_opts`, as the Argo Server
applies them to every kind).
"""

from __future__ import annotations

from typing import Any

from sluicegate.documents import override_parameters, parameter_pairs
from sluicegate.errors import ManifestError

__all__ = ["apply_submit_opts", "from_cron", "from_template"]

Doc = dict[str, Any]

_LABEL = "workflows.argoproj.io/workflow-template"
_CLUSTER_LABEL = "workflows.argoproj.io/cluster-workflow-template"


def _pairs(raw: Any, where: str) -> dict[str, str]:
    if not raw:
        return {}
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    out = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep:
            raise ManifestError(f"{item!r} is not key=value", where=f"submitOptions.{where}", fix="write key=value")
        out[key.strip()] = value
    return out


def from_template(template_doc: dict[str, Any], submit_opts: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Workflow document to create for a (Cluster)WorkflowTemplate and Argo SubmitOpts."""
    meta = template_doc.get("metadata") or {}
    cluster = template_doc.get("kind") == "ClusterWorkflowTemplate"
    name = str(meta.get("name", ""))
    labels = dict(((template_doc.get("spec") or {}).get("workflowMetadata") or {}).get("labels") or {})
    labels[_CLUSTER_LABEL if cluster else _LABEL] = name
    wf: Doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{name}-", "namespace": meta.get("namespace", ""), "labels": labels},
        "spec": {"workflowTemplateRef": {"name": name, **({"clusterScope": True} if cluster else {})}},
    }
    return apply_submit_opts(wf, submit_opts or {})


def apply_submit_opts(wf: Doc, opts: Doc) -> Doc:
    """Argo's SubmitOpts applied to a Workflow made from a template or a CronWorkflow (`wf`, changed and returned).

    `parameters` ("k=v" strings) replace the arguments of those names and add the others, `labels` and
    `annotations` ("a=b,c=d") are merged over the Workflow's, `entryPoint`, `serviceAccount` and
    `podPriorityClassName` set their spec fields, `generateName` and `name` its name.
    """
    meta, spec = wf["metadata"], wf["spec"]
    meta["labels"] = {**(meta.get("labels") or {}), **_pairs(opts.get("labels"), "labels")}
    annotations = {**(meta.get("annotations") or {}), **_pairs(opts.get("annotations"), "annotations")}
    if annotations:
        meta["annotations"] = annotations
    given = parameter_pairs(opts.get("parameters"), where="submitOptions.parameters", indexed=True)
    override_parameters(spec, given)
    for option, field in (("entryPoint", "entrypoint"), ("serviceAccount", "serviceAccountName")):
        if opts.get(option):
            spec[field] = opts[option]
    if opts.get("podPriorityClassName"):
        spec["podPriorityClassName"] = opts["podPriorityClassName"]
    if opts.get("generateName"):
        meta["generateName"] = opts["generateName"]
    if opts.get("name"):
        meta["name"] = opts["name"]
        meta.pop("generateName", None)
    return wf


def from_cron(cron: Doc, opts: Doc) -> Doc:
    """A Workflow from a CronWorkflow's `spec.workflowSpec`, as `argo submit --from cronwf/NAME` makes it."""
    meta = cron["metadata"]
    labels = {**((cron["spec"].get("workflowMetadata") or {}).get("labels") or {})}
    labels["workflows.argoproj.io/cron-workflow"] = meta["name"]
    wf: Doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{meta['name']}-", "namespace": meta["namespace"], "labels": labels},
        "spec": dict(cron["spec"].get("workflowSpec") or {}),
    }
    return apply_submit_opts(wf, opts)
