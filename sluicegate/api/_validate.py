"""Validation of documents the API accepts: Hera's Argo models, a few Argo server checks, and lint.

The kinds validated and their models are the linter's (`sluicegate.lint`), so both check the same kinds.

Called by the route modules before anything is stored, so an invalid document is answered with 400 and a
field path (`spec.templates[0].container.command: Input should be a valid list`) and leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

import pydantic

from sluicegate.errors import ManifestError, field_path
from sluicegate.lint import MODELS as ARGO_MODELS
from sluicegate.lint import lint_documents
from sluicegate.store import Store

__all__ = ["ARGO_MODELS", "field_path", "known_templates", "lint", "problems", "validate"]


def _label(kind: str, doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    return f"{kind}/{meta.get('name') or meta.get('generateName') or '?'}"


def validate(kind: str, doc: dict[str, Any]) -> None:
    """Raise ManifestError (400) with the field path when `doc` is not a valid `kind`.

    Args:
        kind: the Argo kind (other kinds are only checked for `metadata`).
        doc: the document as received.
    """
    if not isinstance(doc.get("metadata"), dict):
        raise ManifestError("metadata is required", where=f"{kind}: metadata", fix="send metadata.name")
    model = ARGO_MODELS.get(kind)
    if model is not None:
        try:
            model.model_validate(doc)
        except pydantic.ValidationError as e:
            err = e.errors()[0]
            more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
            raise ManifestError(
                f"{err['msg']}{more}; got {err.get('input')!r:.80}",
                where=f"{_label(kind, doc)}: {field_path(*err['loc'])}",
                fix="correct the field (see the Argo Workflows field reference)",
            ) from None
    spec = doc.get("spec")
    if kind == "CronWorkflow" and isinstance(spec, dict):
        _check_entrypoint(kind, doc, spec.get("workflowSpec") or {}, "spec.workflowSpec")
    elif kind in ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate") and isinstance(spec, dict):
        _check_entrypoint(kind, doc, spec, "spec")


def _check_entrypoint(kind: str, doc: dict[str, Any], spec: dict[str, Any], at: str) -> None:
    """Argo's server-side check: the entrypoint names a template of the spec (unless it comes from a ref)."""
    names = [t.get("name") for t in spec.get("templates") or [] if isinstance(t, dict)]
    entry = spec.get("entrypoint")
    if spec.get("workflowTemplateRef"):
        return
    if kind == "Workflow" and not entry:
        raise ManifestError(
            "spec.entrypoint is required",
            where=f"{_label(kind, doc)}: {at}.entrypoint",
            fix=f"set it to one of {names}",
        )
    if entry and entry not in names:
        raise ManifestError(
            f"spec.entrypoint template {entry!r} not found",
            where=f"{_label(kind, doc)}: {at}.entrypoint",
            fix=f"use one of the templates {names}",
        )


def known_templates(store: Store, namespace: str) -> list[dict[str, Any]]:
    """The WorkflowTemplates of `namespace` (all when empty) and every ClusterWorkflowTemplate."""
    return [*store.list("WorkflowTemplate", namespace or None), *store.list("ClusterWorkflowTemplate")]


def problems(kind: str, doc: dict[str, Any], known: list[dict[str, Any]] | None = None) -> list[str]:
    """Every problem `sluice lint` finds in `doc`, one line each (`path: what; fix`).

    Args:
        kind: the Argo kind.
        doc: the document to lint.
        known: stored (Cluster)WorkflowTemplates that template references may resolve to; problems of
            these are not reported.
    """
    label = "request"
    full = {"apiVersion": "argoproj.io/v1alpha1", **doc, "kind": kind}
    name = full["metadata"].get("name")
    others = [
        ("store", d) for d in known or [] if not (d.get("kind") == kind and d["metadata"].get("name") == name and name)
    ]
    # A reference to a template not stored (yet) is left to the controller: `sluice apply` of a folder sends
    # its documents in file order, and a missing workflowTemplateRef of a Workflow is a 400 of its own.
    found = [p for p in lint_documents([(label, full), *others]) if p.file == label and "linted set" not in p.message]
    return [f"{p.path}: {p.message}; {p.fix}" if p.path else f"{p.message}; {p.fix}" for p in found]


def lint(kind: str, doc: dict[str, Any], known: list[dict[str, Any]] | None = None) -> None:
    """Validate, then run the same checks as `sluice lint`; ManifestError (400) naming every problem.

    Argo rejects an invalid template when it is created; this does the same with the project's linter,
    which checks more (unknown fields, DAG cycles, undeclared parameters) and names every problem, one a
    line, instead of the first.

    Args:
        kind: the Argo kind.
        doc: the document to lint.
        known: stored (Cluster)WorkflowTemplates that template references may resolve to.
    """
    found = problems(kind, doc, known) if kind in ARGO_MODELS and isinstance(doc.get("metadata"), dict) else []
    if found:
        # One problem a line, each with the object and field path; the CLI prints them as they come.
        raise ManifestError("\n".join(f"{_label(kind, doc)}: {line}" for line in found))
    validate(kind, doc)
