"""Checks of a Workflow that runs a (Cluster)WorkflowTemplate through `workflowTemplateRef`.

Called by `sluicegate.lint._lint` for every Workflow (and CronWorkflow) with a `workflowTemplateRef` whose
target is in the linted set, which is how a Workflow submitted from a template reaches the linter. Its
`spec.arguments` are merged with the template's, the Workflow's winning, and the merged set is what the run
sees: every merged parameter needs a value, the entrypoint's inputs without a default must be among them,
and every `{{workflow.parameters.x}}` of the template's templates must name one. A parameter the template
does not declare is accepted (it becomes a workflow parameter and an argument of the entrypoint), as a
WorkflowTemplate's own checks leave those to the Workflow.
"""

from __future__ import annotations

import difflib
from typing import Any

from sluicegate.lint._calls import Index
from sluicegate.lint._refs import refs
from sluicegate.lint._types import field_path

__all__ = ["Problem", "RefCheck", "check_template_ref"]

#: `(field path below the WorkflowSpec, what is wrong, how to fix it)`.
Problem = tuple[str, str, str]

_VALUED = ("value", "valueFrom")


def _params(spec: Any) -> list[dict[str, Any]]:
    items = ((spec or {}).get("arguments") or {}).get("parameters") or []
    return [p for p in items if isinstance(p, dict) and isinstance(p.get("name"), str)]


class RefCheck:
    """What a Workflow's `workflowTemplateRef` brings: the merged parameter names and the problems found."""

    def __init__(self, declared: set[str], problems: list[Problem]) -> None:
        self.declared = declared
        self.problems = problems


def _hint(name: str, passed: list[str]) -> str:
    """` (did you mean ...?)` when a passed name the template does not declare is close to the missing `name`."""
    close = difflib.get_close_matches(name, passed, n=1)
    return f" (did you mean `{name}` where you passed `{close[0]}`?)" if close else ""


def check_template_ref(spec: dict[str, Any], target: dict[str, Any], label: str) -> RefCheck:
    """The problems of a WorkflowSpec `spec` whose `workflowTemplateRef` names `target` (`label` in messages).

    Args:
        spec: the Workflow's spec (a CronWorkflow's `workflowSpec`).
        target: the referenced WorkflowTemplate or ClusterWorkflowTemplate document.
        label: how messages name the target, e.g. `WorkflowTemplate 'train'`.
    """
    own, theirs = _params(spec), _params(target.get("spec"))
    passed, known = {p["name"] for p in own}, {p["name"] for p in theirs}
    extra = [p["name"] for p in own if p["name"] not in known]
    problems: list[Problem] = []
    for p in theirs:  # (a parameter the Workflow passes without a value is reported where it passes it)
        if not any(k in p for k in _VALUED) and p["name"] not in passed:
            problems.append(
                (
                    "arguments.parameters",
                    f"{label} needs a value for {p['name']!r}",
                    f"add {{name: {p['name']}, value: ...}}{_hint(p['name'], extra)}",
                )
            )
    declared = passed | known
    templates = Index.templates(target)
    entrypoint = spec.get("entrypoint") or (target.get("spec") or {}).get("entrypoint") or ""
    entry = templates.get(entrypoint)
    for p in ((entry or {}).get("inputs") or {}).get("parameters") or []:
        if isinstance(p, dict) and not ({"value", "default", "valueFrom"} & set(p)) and p.get("name") not in declared:
            problems.append(
                (
                    "arguments.parameters",
                    f"entrypoint {entrypoint!r} of {label} needs input {p.get('name')!r}, "
                    "which is not a workflow argument",
                    f"add {{name: {p.get('name')}, value: ...}}{_hint(str(p.get('name')), extra)}",
                )
            )
    for i, template in enumerate((target.get("spec") or {}).get("templates") or []):
        for ref in sorted(r.name for r in refs(template) if r.scope == "workflow.parameters"):
            if ref not in declared:
                where = field_path("templates", i)
                problems.append(
                    (
                        "arguments.parameters",
                        f"{label} uses {{{{workflow.parameters.{ref}}}}} in {where}, which is not a workflow argument",
                        f"add {{name: {ref}, value: ...}}{_hint(ref, extra)}",
                    )
                )
    return RefCheck(declared, problems)
