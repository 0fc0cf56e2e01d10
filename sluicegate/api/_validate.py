"""Validation of documents the API accepts: Hera's Argo models, a few Argo server checks, and lint.

Called by the route modules before anything is stored, so an invalid document is answered with 400 and a
field path (`spec.templates[0].container.command: Input should be a valid list`) and leaves nothing behind.
"""

from __future__ import annotations

import importlib
from typing import Any

import pydantic
from hera.workflows import models

from sluicegate.errors import ManifestError

__all__ = ["ARGO_MODELS", "field_path", "lint", "validate"]

#: The Argo kinds this API validates with Hera's generated models.
ARGO_MODELS: dict[str, type[pydantic.BaseModel]] = {
    "Workflow": models.Workflow,
    "WorkflowTemplate": models.WorkflowTemplate,
    "ClusterWorkflowTemplate": models.ClusterWorkflowTemplate,
    "CronWorkflow": models.CronWorkflow,
}


def field_path(loc: tuple[int | str, ...]) -> str:
    """`("spec", "templates", 0, "name")` -> `spec.templates[0].name`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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
                where=f"{_label(kind, doc)}: {field_path(tuple(err['loc']))}",
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


def lint(kind: str, doc: dict[str, Any], known: list[dict[str, Any]] | None = None) -> None:
    """Validate, then run the project's linter (`sluicegate.lint.lint_documents`) when it is installed.

    Args:
        kind: the Argo kind.
        doc: the document to lint.
        known: stored (Cluster)WorkflowTemplates that template references may resolve to; problems of
            these are not reported.
    """
    validate(kind, doc)
    try:
        linter = importlib.import_module("sluicegate.lint")
    except ImportError:
        return
    lint_documents = getattr(linter, "lint_documents", None)
    if lint_documents is None:
        return
    label = "request"
    full = {"apiVersion": "argoproj.io/v1alpha1", **doc, "kind": kind}
    name = full["metadata"].get("name")
    others = [
        ("store", d) for d in known or [] if not (d.get("kind") == kind and d["metadata"].get("name") == name and name)
    ]
    problems = [p for p in lint_documents([(label, full), *others]) if getattr(p, "file", label) == label]
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        path = getattr(first, "path", "")
        raise ManifestError(
            f"{getattr(first, 'message', first)}{more}",
            where=f"{_label(kind, doc)}: {path}" if path else _label(kind, doc),
            fix=str(getattr(first, "fix", "")),
        )
