"""Validating one Argo Workflows document with Hera's pydantic models, and finding fields they do not know.

Called by `sluicegate.lint._lint` for every Workflow, WorkflowTemplate, ClusterWorkflowTemplate and
CronWorkflow. Hera's models ignore unknown keys, so a round trip through the model shows them: a key of
the input that the dump lacks is a field Argo does not have (a structural CRD would drop it silently).
"""

from __future__ import annotations

from typing import Any

import pydantic
from hera.workflows import models as m

from sluicegate.lint._types import field_path

__all__ = ["MODELS", "Problem", "validate"]

#: The kinds this module validates, and the Hera model of each.
MODELS: dict[str, type[pydantic.BaseModel]] = {
    "Workflow": m.Workflow,
    "WorkflowTemplate": m.WorkflowTemplate,
    "ClusterWorkflowTemplate": m.ClusterWorkflowTemplate,
    "CronWorkflow": m.CronWorkflow,
}

#: `(field path, what is wrong, how to fix it)`.
Problem = tuple[str, str, str]


def _walk(doc: Any, loc: tuple[int | str, ...]) -> list[str | int]:
    """The longest prefix of `loc` that exists in `doc` (pydantic appends union member names to locs)."""
    node, path = doc, []
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        else:
            break
        path.append(part)
    return path


def _model_problems(doc: dict[str, Any], e: pydantic.ValidationError) -> list[Problem]:
    by_path: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for error in e.errors():
        parts = _walk(doc, tuple(error["loc"]))
        path = field_path(*parts)
        message = error["msg"][0].lower() + error["msg"][1:]
        if message not in by_path.setdefault(path, []):
            by_path[path].append(message)
        values[path] = error.get("input")
    return [
        (path, f"invalid value {values[path]!r}: {' or '.join(messages)}", "see the Argo field reference for its type")
        for path, messages in by_path.items()
    ]


def _at(doc: Any, parts: tuple[str | int, ...]) -> Any:
    for part in parts:
        doc = doc[part]
    return doc


def _dropped(original: Any, dumped: Any, parts: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(original, dict) and isinstance(dumped, dict):
        out: list[tuple[str | int, ...]] = []
        for key, value in original.items():
            if key not in dumped:
                out.append((*parts, key))
            else:
                out.extend(_dropped(value, dumped[key], (*parts, key)))
        return out
    if isinstance(original, list) and isinstance(dumped, list):
        return [p for i, (a, b) in enumerate(zip(original, dumped, strict=False)) for p in _dropped(a, b, (*parts, i))]
    return []


#: Fields of Argo releases newer than the one Hera's models are generated from (4.0.5), and the model of
#: their value. `podResources` (Argo 4.1): pod-level requests and limits, on the workflow's spec and on a template.
_NEWER: dict[str, type[pydantic.BaseModel]] = {"podResources": m.ResourceRequirements}
#: Where a workflow spec sits in each kind: `spec`, or a CronWorkflow's `spec.workflowSpec`.
_SPECS = (("spec",), ("spec", "workflowSpec"))


def _newer(parts: tuple[str | int, ...], value: Any) -> list[Problem] | None:
    """The problems of a field newer than Hera's models at `parts` ([] when valid); None when it is no such field."""
    parent, key = parts[:-1], parts[-1]
    on_spec = parent in _SPECS or (len(parent) >= 2 and parent[-2] == "templates" and parent[:-2] in _SPECS)
    if not on_spec or not isinstance(key, str) or key not in _NEWER:
        return None
    try:
        _NEWER[key].model_validate(value)
    except pydantic.ValidationError as e:
        return [(field_path(*parts, path), what, fix) for path, what, fix in _model_problems(value, e)]
    return []


def validate(doc: dict[str, Any]) -> list[Problem]:
    """Type errors and unknown fields of one document whose kind is in `MODELS`."""
    model = MODELS[doc["kind"]]
    try:
        parsed = model.model_validate(doc)
    except pydantic.ValidationError as e:
        return _model_problems(doc, e)
    dumped = parsed.model_dump(by_alias=True, exclude_none=True, mode="json")
    problems: list[Problem] = []
    for parts in _dropped(doc, dumped):
        newer = _newer(parts, _at(doc, parts))
        if newer is not None:
            problems.extend(newer)
            continue
        parent, key = field_path(*parts[:-1]), parts[-1]
        problems.append(
            (parent, f"unknown field {key!r}", "check its spelling against the Argo field reference, or remove it")
        )
    return problems
