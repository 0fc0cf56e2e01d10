"""`lint_documents`: Argo Workflows documents checked like `argo lint`, and more.

Called by `sluice lint` (through `lint_paths`), by `sluice render` before it writes, and by the API's
lint endpoint. For every Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow it checks
the types with Hera's models (plus unknown fields), then the references: entrypoint, onExit and hook
templates exist; every `template`/`templateRef` target exists (templateRefs resolve across the linted
set); every `{{inputs.parameters.x}}` is declared; `{{workflow.parameters.x}}` of a Workflow is a workflow
argument; DAG dependencies name existing tasks without cycles; `{{tasks.X}}`/`{{steps.X}}` name earlier
tasks/steps; calls pass every required input (arguments a template does not declare are ignored, as Argo
ignores them). A WorkflowTemplate is checked as Argo checks it, with placeholder arguments: its entrypoint's
inputs and its `{{workflow.parameters.x}}` are checked in the Workflow that runs it (`_wftref`). Other kinds
are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluicegate.lint._calls import Index, check_call
from sluicegate.lint._graph import check_dag, check_steps
from sluicegate.lint._load import load_paths
from sluicegate.lint._project import lint_projects
from sluicegate.lint._refs import refs
from sluicegate.lint._schema import MODELS, validate
from sluicegate.lint._types import LintError, field_path
from sluicegate.lint._wftref import check_template_ref

__all__ = ["TEMPLATE_TYPES", "lint_documents", "lint_paths"]

#: The fields that make a template what it is; a template has exactly one.
TEMPLATE_TYPES = (
    "container",
    "script",
    "dag",
    "steps",
    "resource",
    "suspend",
    "http",
    "data",
    "containerSet",
    "plugin",
)


@dataclass(frozen=True)
class _Doc:
    file: str
    kind: str
    name: str
    body: dict[str, Any]
    #: `(kind, name)` of the document that embeds this one (a Sensor's Workflow), and where.
    owner: tuple[str, str] | None = None
    base: str = ""

    @property
    def prefix(self) -> str:
        spec = "spec.workflowSpec" if self.kind == "CronWorkflow" else "spec"
        return f"{self.base}.{spec}" if self.base else spec

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.body.get("spec") or {}
        return (spec.get("workflowSpec") or {}) if self.kind == "CronWorkflow" else spec

    def error(self, path: str, message: str, fix: str) -> LintError:
        """An error at `path` below the WorkflowSpec."""
        return self.at(f"{self.prefix}.{path}" if path else self.prefix, message, fix, based=True)

    def at(self, path: str, message: str, fix: str, based: bool = False) -> LintError:
        """An error at `path` below the document's root (or, with `based`, a path that already has the base)."""
        if self.base and not based:
            path = f"{self.base}.{path}" if path else self.base
        kind, name = self.owner or (self.kind, self.name)
        return LintError(self.file, kind, name, path, message, fix)


def _dig(node: Any, *keys: str) -> Any:
    """`node[k1][k2]...`, or None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _embedded(file: str, body: dict[str, Any]) -> list[_Doc]:
    """The Workflows a Sensor's argoWorkflow and k8s triggers submit, as documents of their own."""
    triggers = _dig(body, "spec", "triggers")
    if body.get("kind") != "Sensor" or not isinstance(triggers, list):
        return []
    name = str(_dig(body, "metadata", "name") or "")
    found = []
    for i, trigger in enumerate(triggers):
        for action in ("argoWorkflow", "k8s"):
            resource = _dig(trigger, "template", action, "source", "resource")
            if isinstance(resource, dict) and resource.get("kind") == "Workflow":
                base = field_path("spec", "triggers", i, "template", action, "source", "resource")
                label = str(_dig(resource, "metadata", "name") or _dig(resource, "metadata", "generateName") or "")
                found.append(_Doc(file, "Workflow", label, resource, ("Sensor", name), base))
    return found


def _is_template(d: _Doc) -> bool:
    return d.kind in ("WorkflowTemplate", "ClusterWorkflowTemplate")


def _names(items: Any) -> list[str]:
    return [p["name"] for p in items or [] if isinstance(p, dict) and isinstance(p.get("name"), str)]


def _template_errors(
    d: _Doc, i: int, template: dict[str, Any], index: Index, by_name: dict[str, Any]
) -> list[LintError]:
    here = field_path("templates", i)
    errors: list[LintError] = []
    kinds = [t for t in TEMPLATE_TYPES if template.get(t) is not None]
    if len(kinds) != 1:
        what = "has no type" if not kinds else f"has several types ({', '.join(kinds)})"
        errors.append(
            d.error(
                here, f"template {template.get('name')!r} {what}", f"set exactly one of {', '.join(TEMPLATE_TYPES)}"
            )
        )
    inputs = template.get("inputs") or {}
    for scope, declared in (
        ("inputs.parameters", _names(inputs.get("parameters"))),
        ("inputs.artifacts", _names(inputs.get("artifacts"))),
    ):
        for ref in sorted(r.name for r in refs(template) if r.scope == scope and r.name not in declared):
            errors.append(
                d.error(here, f"uses {{{{{scope}.{ref}}}}} but does not declare it", f"add {{name: {ref}}} to {scope}")
            )
    if isinstance(template.get("dag"), dict):
        errors += [d.error(f"{here}.{p}", m, f) for p, m, f in check_dag(template)]
        for j, task in enumerate(template["dag"].get("tasks") or []):
            errors += [d.error(f"{here}.dag.tasks[{j}]", m, f) for m, f in check_call(task, by_name, index)]
    if isinstance(template.get("steps"), list):
        errors += [d.error(f"{here}.{p}", m, f) for p, m, f in check_steps(template)]
        for g, group in enumerate(template["steps"]):
            for s, step in enumerate(group if isinstance(group, list) else []):
                errors += [d.error(f"{here}.steps[{g}][{s}]", m, f) for m, f in check_call(step, by_name, index)]
    return errors


def _entry_errors(d: _Doc, by_name: dict[str, Any], index: Index) -> tuple[list[LintError], set[str]]:
    """Errors of entrypoint, workflowTemplateRef, onExit and hooks; and the declared workflow parameters."""
    spec, errors = d.spec, []
    declared = set(_names((spec.get("arguments") or {}).get("parameters")))
    targets = dict(by_name)
    ref = spec.get("workflowTemplateRef")
    if isinstance(ref, dict):
        target = index.workflow_template(ref.get("name", ""), bool(ref.get("clusterScope")))
        if target is None:
            errors.append(
                d.error(
                    "workflowTemplateRef",
                    f"no WorkflowTemplate {ref.get('name')!r} in the linted set",
                    "lint it together with this file, or fix the name",
                )
            )
        else:
            targets.update(index.templates(target))
            kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
            checked = check_template_ref(spec, target, f"{kind} {ref.get('name')!r}")
            errors += [d.error(p, m, f) for p, m, f in checked.problems]
            declared |= checked.declared
    elif not _is_template(d) and not spec.get("entrypoint"):
        errors.append(
            d.error(
                "entrypoint",
                "is required (there is no workflowTemplateRef either)",
                f"set it to one of its templates: {', '.join(sorted(by_name)) or '(none)'}",
            )
        )
    for field in ("entrypoint", "onExit"):
        called = spec.get(field)
        if called and called not in targets:
            errors.append(
                d.error(field, f"no template named {called!r}", f"use one of: {', '.join(sorted(targets)) or '(none)'}")
            )
    for hook, value in (spec.get("hooks") or {}).items():
        if isinstance(value, dict) and value.get("template") and value["template"] not in targets:
            errors.append(
                d.error(
                    f"hooks.{hook}.template",
                    f"no template named {value['template']!r}",
                    f"use one of: {', '.join(sorted(targets))}",
                )
            )
    # A WorkflowTemplate's entrypoint gets placeholder arguments (Argo's FakeArguments): its inputs are checked
    # against the arguments of the Workflow that runs it (`check_template_ref`).
    entry = by_name.get(spec.get("entrypoint", "")) if not _is_template(d) else None
    if isinstance(entry, dict):
        for p in (entry.get("inputs") or {}).get("parameters") or []:
            if (
                isinstance(p, dict)
                and not ({"value", "default", "valueFrom"} & set(p))
                and p.get("name") not in declared
            ):
                errors.append(
                    d.error(
                        "arguments.parameters",
                        f"entrypoint {entry['name']!r} needs input {p.get('name')!r}, which is not a workflow argument",
                        f"add {{name: {p.get('name')}}} to spec.arguments.parameters",
                    )
                )
    if d.kind == "Workflow":
        for i, p in enumerate((spec.get("arguments") or {}).get("parameters") or []):
            if isinstance(p, dict) and "value" not in p and "valueFrom" not in p:
                errors.append(
                    d.error(
                        field_path("arguments", "parameters", i),
                        f"argument {p.get('name')!r} has no value",
                        "give it a value",
                    )
                )
    return errors, declared


def _doc_errors(d: _Doc, index: Index) -> list[LintError]:
    templates = d.spec.get("templates") or []
    by_name: dict[str, Any] = {}
    errors: list[LintError] = []
    for i, template in enumerate(templates):
        name = template.get("name")
        if not name:
            errors.append(d.error(field_path("templates", i), "template has no name", "give it a unique name"))
        elif name in by_name:
            errors.append(d.error(field_path("templates", i), f"template name {name!r} is used twice", "rename one"))
        else:
            by_name[name] = template
    entry_errors, declared = _entry_errors(d, by_name, index)
    errors += entry_errors
    for i, template in enumerate(templates):
        errors += _template_errors(d, i, template, index, by_name)
        # A WorkflowTemplate may read parameters that only the Workflow running it passes (as Argo validates it).
        for ref in sorted(r.name for r in refs(template) if r.scope == "workflow.parameters"):
            if ref not in declared and not _is_template(d):
                errors.append(
                    d.error(
                        field_path("templates", i),
                        f"uses {{{{workflow.parameters.{ref}}}}}, which is not a workflow argument",
                        f"add {{name: {ref}}} to spec.arguments.parameters",
                    )
                )
    return errors


def lint_documents(docs: Sequence[tuple[str, Any]]) -> list[LintError]:
    """Every problem of the Argo Workflows documents among `docs` (`(file, document)` pairs).

    Documents of other kinds are skipped, except the Workflows that Sensors' argoWorkflow and k8s triggers
    submit, which are linted as Workflows (so a Sensor's parameters must match its WorkflowTemplate).
    templateRefs and workflowTemplateRefs resolve against the WorkflowTemplates and
    ClusterWorkflowTemplates in `docs`.
    """
    errors: list[LintError] = []
    checked: list[_Doc] = []
    seen: set[tuple[str, str]] = set()
    for file, body in docs:
        for inner in _embedded(file, body) if isinstance(body, dict) else []:
            problems = validate(inner.body)
            errors += [inner.at(p, m, f) for p, m, f in problems]
            if not any(m.startswith("invalid value") for _, m, _ in problems):
                checked.append(inner)
        if not isinstance(body, dict):
            errors.append(
                LintError(
                    file,
                    "",
                    "",
                    "",
                    f"a document is a {type(body).__name__}, not a mapping",
                    "give each document kind, metadata and spec",
                )
            )
            continue
        kind = body.get("kind")
        if not isinstance(kind, str) or kind not in MODELS:
            continue
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        name = _dig(metadata, "name") or _dig(metadata, "generateName") or ""
        d = _Doc(file, kind, str(name), body)
        if not name:
            errors.append(
                LintError(file, d.kind, "", "metadata", "has neither name nor generateName", "set metadata.name")
            )
        if _dig(metadata, "name") and (d.kind, d.name) in seen:
            errors.append(LintError(file, d.kind, d.name, "metadata.name", "is defined twice", "remove or rename one"))
        seen.add((d.kind, d.name))
        problems = validate(body)
        errors += [LintError(file, d.kind, d.name, p, m, f) for p, m, f in problems]
        if not any(m.startswith("invalid value") for _, m, _ in problems):
            checked.append(d)
    index = Index([d.body for d in checked if d.owner is None])
    for d in checked:
        errors += _doc_errors(d, index)
    return errors


def lint_paths(paths: Iterable[Path | str]) -> tuple[int, list[LintError]]:
    """Lint the YAML files and directories in `paths`; returns how many documents were read, and the errors."""
    paths = list(paths)
    docs, errors = load_paths(paths)
    projects, project_errors = lint_projects(paths)
    return len(docs) + projects, errors + project_errors + lint_documents(docs)
