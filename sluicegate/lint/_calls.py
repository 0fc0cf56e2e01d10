"""Checks of one call (a DAG task or a step): its target template exists and gets the arguments it needs.

Called by `sluicegate.lint._lint` for every task and step. `Index` holds the WorkflowTemplates and
ClusterWorkflowTemplates of the linted set, so a `templateRef` resolves across files.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["ARTIFACT_SOURCES", "Index", "check_call"]

#: An input artifact with one of these needs nothing from the caller.
ARTIFACT_SOURCES = frozenset(
    {
        "from",
        "fromExpression",
        "optional",
        "git",
        "http",
        "s3",
        "gcs",
        "raw",
        "artifactory",
        "hdfs",
        "oss",
        "azure",
        "plugin",
    }
)
_FIELDS = {"value", "default", "valueFrom"}


class Index:
    """The WorkflowTemplates and ClusterWorkflowTemplates of the linted set, by kind and name."""

    def __init__(self, docs: Iterable[dict[str, Any]]) -> None:
        self._docs: dict[tuple[str, str], dict[str, Any]] = {}
        for doc in docs:
            if doc.get("kind") in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
                name = (doc.get("metadata") or {}).get("name")
                if isinstance(name, str):
                    self._docs.setdefault((doc["kind"], name), doc)

    def workflow_template(self, name: str, cluster_scope: bool) -> dict[str, Any] | None:
        """The (Cluster)WorkflowTemplate called `name`, or None."""
        return self._docs.get(("ClusterWorkflowTemplate" if cluster_scope else "WorkflowTemplate", name))

    @staticmethod
    def templates(doc: dict[str, Any]) -> dict[str, Any]:
        """The templates of a WorkflowTemplate, by name."""
        return {
            t["name"]: t
            for t in (doc.get("spec") or {}).get("templates") or []
            if isinstance(t, dict) and isinstance(t.get("name"), str)
        }


def _target(
    call: dict[str, Any], local: dict[str, Any], index: Index
) -> tuple[dict[str, Any] | None, str, list[tuple[str, str]]]:
    """The called template, a label for messages, and the problems of finding it."""
    if call.get("template"):
        name = call["template"]
        if name not in local:
            return None, "", [(f"no template named {name!r}", f"use one of: {', '.join(sorted(local))}")]
        return local[name], f"template {name!r}", []
    ref = call.get("templateRef")
    if isinstance(ref, dict):
        kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
        doc = index.workflow_template(ref.get("name", ""), bool(ref.get("clusterScope")))
        if doc is None:
            return (
                None,
                "",
                [
                    (
                        f"templateRef to {kind} {ref.get('name')!r}, which is not in the linted set",
                        "lint it together with this file, or fix templateRef.name",
                    )
                ],
            )
        templates = Index.templates(doc)
        if ref.get("template") not in templates:
            return (
                None,
                "",
                [
                    (
                        f"{kind} {ref.get('name')!r} has no template {ref.get('template')!r}",
                        f"use one of: {', '.join(sorted(templates))}",
                    )
                ],
            )
        return templates[ref["template"]], f"{ref['name']}/{ref['template']}", []
    if isinstance(call.get("inline"), dict):
        return call["inline"], "the inline template", []
    return None, "", [("names no template", "set template or templateRef")]


def check_call(call: Any, local: dict[str, Any], index: Index) -> list[tuple[str, str]]:
    """`(what is wrong, how to fix it)` of one task or step: its target exists and gets its required inputs.

    An argument the target does not declare is not a problem: Argo binds arguments to declared inputs only
    and ignores the rest, and so does the engine.
    """
    if not isinstance(call, dict):
        return [("is not a mapping", "give it a name and a template")]
    target, label, problems = _target(call, local, index)
    if target is None:
        return problems
    inputs = target.get("inputs") or {}
    arguments = call.get("arguments") or {}
    for kind, sources in (("parameters", _FIELDS), ("artifacts", ARTIFACT_SOURCES)):
        declared: dict[str, dict[str, Any]] = {
            p["name"]: p for p in inputs.get(kind) or [] if isinstance(p, dict) and isinstance(p.get("name"), str)
        }
        given = {a["name"] for a in arguments.get(kind) or [] if isinstance(a, dict) and isinstance(a.get("name"), str)}
        for name, decl in declared.items():
            # A parameter with a value or default, or an artifact with a source, needs nothing from the caller.
            if not (sources & set(decl)) and name not in given:
                problems.append(
                    (
                        f"{label} needs input {kind[:-1]} {name!r}, which is not passed",
                        f"add {{name: {name}, value: ...}} to arguments.{kind}",
                    )
                )
    return problems
