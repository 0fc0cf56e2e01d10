"""Template resolution for the workflow controller.

Template resolution: the effective workflow spec (`workflowTemplateRef` merged) and template look-up by
name, `templateRef` (a template of a WorkflowTemplate / ClusterWorkflowTemplate in the store) or `inline`.

Called by `_operate`. The spec a `workflowTemplateRef` resolves to is kept in
`status.storedWorkflowTemplateSpec` on first use, so a running workflow is not changed by later edits of the
template (as Argo does).
"""

from __future__ import annotations

from typing import Any

from sluicegate.errors import ManifestError, NotFoundError
from sluicegate.store import Store, json_copy

__all__ = ["TemplateContext", "resolve_spec"]

_MERGED_KEYS = ("arguments",)


class TemplateContext:
    """Templates visible from one place: the workflow's own, or those of a referenced WorkflowTemplate."""

    def __init__(
        self,
        store: Store,
        namespace: str,
        templates: list[dict[str, Any]],
        scope: str,
        defaults: dict[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.namespace = namespace
        self.templates = {t["name"]: t for t in templates if t.get("name")}
        self.scope = scope
        self.defaults = defaults or {}

    def resolve(self, holder: dict[str, Any]) -> tuple[dict[str, Any], TemplateContext]:
        """The template a step/task/entry refers to, and the context its own references resolve in."""
        if holder.get("inline"):
            return _with_defaults(json_copy(holder["inline"]), self.defaults), self
        ref = holder.get("templateRef")
        if ref:
            kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
            namespace = "" if ref.get("clusterScope") else self.namespace
            doc = self.store.try_get(kind, namespace, str(ref.get("name")))
            if doc is None:
                raise NotFoundError(
                    f'{kind} "{ref.get("name")}" not found',
                    where=f"templateRef in namespace {self.namespace!r}",
                    fix="create the WorkflowTemplate first (sluice apply)",
                )
            templates = (doc.get("spec") or {}).get("templates") or []
            ctx = TemplateContext(self.store, self.namespace, templates, kind, self.defaults)
            return ctx._named(str(ref.get("template")), f"{kind}/{ref.get('name')}"), ctx
        return self._named(str(holder.get("template", "")), self.scope), self

    def _named(self, name: str, where: str) -> dict[str, Any]:
        tmpl = self.templates.get(name)
        if tmpl is None:
            raise ManifestError(f"template {name!r} not found", where=where, fix="check the template name")
        return _with_defaults(json_copy(tmpl), self.defaults)


def _with_defaults(tmpl: dict[str, Any], defaults: Any) -> dict[str, Any]:
    """`spec.templateDefaults` under a template; the template's own fields win and maps merge.

    A default `container`/`script` section applies only to templates of that kind.
    """
    if not isinstance(defaults, dict) or not defaults:
        return tmpl
    merged = _merge(defaults, tmpl)
    for kind in ("container", "script"):
        if kind not in tmpl:
            merged.pop(kind, None)
    return merged


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = json_copy(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _merge_arguments(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = json_copy(base)
    for key in ("parameters", "artifacts"):
        items = {i["name"]: i for i in out.get(key) or []}
        for item in override.get(key) or []:
            items[item["name"]] = {**items.get(item["name"], {}), **item}
        if items:
            out[key] = list(items.values())
    return out


def resolve_spec(wf: dict[str, Any], store: Store) -> tuple[dict[str, Any], TemplateContext]:
    """The spec to execute and the root template context."""
    spec = json_copy(wf.get("spec") or {})
    namespace = str(wf["metadata"].get("namespace", ""))
    ref = spec.get("workflowTemplateRef")
    if ref:
        status = wf.setdefault("status", {})
        stored = status.get("storedWorkflowTemplateSpec")
        if stored is None:
            kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
            doc = store.try_get(kind, "" if ref.get("clusterScope") else namespace, str(ref.get("name")))
            if doc is None:
                raise NotFoundError(
                    f'{kind} "{ref.get("name")}" not found',
                    where=f"spec.workflowTemplateRef in namespace {namespace!r}",
                    fix="create the WorkflowTemplate first (sluice apply)",
                )
            stored = json_copy(doc.get("spec") or {})
            status["storedWorkflowTemplateSpec"] = stored
        merged = json_copy(stored)
        # Argo (workflow/util JoinWorkflowSpec) keeps the Workflow's own `suspend`: a WorkflowTemplate's
        # `spec.suspend` does not suspend the Workflows that reference it, so `resume` always can resume them.
        merged.pop("suspend", None)
        for key, value in spec.items():
            if key == "workflowTemplateRef":
                continue
            if key == "arguments":
                merged["arguments"] = _merge_arguments(merged.get("arguments") or {}, value or {})
            elif key == "templates":
                names = {t.get("name") for t in value or []}
                merged["templates"] = [t for t in merged.get("templates") or [] if t.get("name") not in names] + list(
                    value or []
                )
            else:
                merged[key] = value
        spec = merged
    if not spec.get("entrypoint"):
        raise ManifestError(
            "spec.entrypoint is required",
            where=f"Workflow {wf['metadata'].get('name')}",
            fix="set spec.entrypoint to a template name",
        )
    scope = f"Workflow/{wf['metadata'].get('name')}"
    ctx = TemplateContext(store, namespace, spec.get("templates") or [], scope, spec.get("templateDefaults"))
    return spec, ctx
