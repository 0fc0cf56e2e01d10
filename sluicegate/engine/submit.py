"""Submitting a Workflow from a WorkflowTemplate or a CronWorkflow, as the Argo Server's `submit` endpoint does.

Called by the API (`POST /api/v1/workflows/{ns}/submit`), the CLI and, handed over by the stack, the
argoWorkflow trigger's `submit-from` (`sluicegate.eventing`). `from_template`: the Workflow refers to
the template (`spec.workflowTemplateRef`), carries the label `workflows.argoproj.io/workflow-template`, and
applies Argo's `SubmitOpts`: `parameters` ("k=v" strings), `labels` ("a=b,c=d"), `annotations`, `entryPoint`,
`serviceAccount`, `name`, `generateName`. `from_cron`: the CronWorkflow's `spec.workflowSpec`, labelled
`workflows.argoproj.io/cron-workflow`, with the given `parameters`.
"""

from __future__ import annotations

from typing import Any

from sluicegate.errors import ManifestError

__all__ = ["from_cron", "from_template"]

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
    opts = submit_opts or {}
    meta = template_doc.get("metadata") or {}
    cluster = template_doc.get("kind") == "ClusterWorkflowTemplate"
    name = str(meta.get("name", ""))
    labels = dict(((template_doc.get("spec") or {}).get("workflowMetadata") or {}).get("labels") or {})
    labels.update(_pairs(opts.get("labels"), "labels"))
    labels[_CLUSTER_LABEL if cluster else _LABEL] = name
    wf_meta: dict[str, Any] = {"namespace": meta.get("namespace", ""), "labels": labels}
    if opts.get("name"):
        wf_meta["name"] = opts["name"]
    else:
        wf_meta["generateName"] = opts.get("generateName") or f"{name}-"
    annotations = _pairs(opts.get("annotations"), "annotations")
    if annotations:
        wf_meta["annotations"] = annotations
    spec: dict[str, Any] = {"workflowTemplateRef": {"name": name, **({"clusterScope": True} if cluster else {})}}
    params = _pairs(opts.get("parameters"), "parameters")
    if params:
        spec["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in params.items()]}
    if opts.get("entryPoint"):
        spec["entrypoint"] = opts["entryPoint"]
    if opts.get("serviceAccount"):
        spec["serviceAccountName"] = opts["serviceAccount"]
    if opts.get("podPriorityClassName"):
        spec["podPriorityClassName"] = opts["podPriorityClassName"]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": wf_meta, "spec": spec}


def _parameters(raw: Any) -> dict[str, str]:
    """`["k=v", ...]` (SubmitOpts.parameters) as a dict; ManifestError naming the bad entry."""
    out: dict[str, str] = {}
    for i, item in enumerate(raw or []):
        if not isinstance(item, str) or "=" not in item:
            raise ManifestError(
                f"{item!r} is not NAME=VALUE", where=f"submitOptions.parameters[{i}]", fix='write "name=value"'
            )
        key, value = item.split("=", 1)
        out[key] = value
    return out


def from_cron(cron: Doc, opts: Doc) -> Doc:
    """A Workflow from a CronWorkflow's `spec.workflowSpec`, as `argo submit --from cronwf/NAME` makes it."""
    meta = cron["metadata"]
    labels = {**((cron["spec"].get("workflowMetadata") or {}).get("labels") or {})}
    labels["workflows.argoproj.io/cron-workflow"] = meta["name"]
    spec: Doc = dict(cron["spec"].get("workflowSpec") or {})
    wf: Doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{meta['name']}-", "namespace": meta["namespace"], "labels": labels},
        "spec": spec,
    }
    given = _parameters(opts.get("parameters"))
    if given:
        args = spec.setdefault("arguments", {})
        old = [p for p in args.get("parameters") or [] if p.get("name") not in given]
        args["parameters"] = old + [{"name": k, "value": v} for k, v in given.items()]
    return wf
