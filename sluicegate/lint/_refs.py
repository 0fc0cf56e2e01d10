"""What Argo's template tags in a document refer to: `{{inputs.parameters.x}}`, `{{tasks.t.outputs...}}`, ...

Called by `sluicegate.lint._lint` and `sluicegate.lint._graph`. Both tag kinds are read: simple tags
(`{{inputs.parameters.model-name}}`) and expression tags (`{{=inputs.parameters['model-name']}}`,
where hyphenated names must be indexed). Also parses the DAG `depends` grammar into task names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["RESULTS", "Ref", "depends_names", "refs", "strings"]

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_NAME = r"(?:\.([A-Za-z0-9_-]+)|\[\s*['\"]([^'\"]+)['\"]\s*\])"
_SCOPES = {
    "inputs.parameters": re.compile(r"(?<![\w.])inputs\.parameters" + _NAME),
    "inputs.artifacts": re.compile(r"(?<![\w.])inputs\.artifacts" + _NAME),
    "workflow.parameters": re.compile(r"(?<![\w.])workflow\.parameters" + _NAME),
    "tasks": re.compile(r"(?<![\w.])tasks" + _NAME),
    "steps": re.compile(r"(?<![\w.])steps" + _NAME),
}
#: Task results the `depends` grammar accepts after a task name.
RESULTS = frozenset({"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"})


@dataclass(frozen=True)
class Ref:
    """One reference found in a tag: `scope` is e.g. `inputs.parameters`, `name` the referenced name."""

    scope: str
    name: str


def strings(node: Any) -> Iterator[str]:
    """Every string value below `node` (dict keys excluded)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def _builtin(scope: str, name: str) -> bool:
    return (scope == "workflow.parameters" and name == "json") or (scope in ("steps", "tasks") and name == "name")


def refs(node: Any) -> set[Ref]:
    """Every reference made by the template tags in the strings below `node`."""
    found: set[Ref] = set()
    for text in strings(node):
        for tag in _TAG.findall(text):
            body = tag[1:] if tag.startswith("=") else tag.strip()
            for scope, pattern in _SCOPES.items():
                for dotted, indexed in pattern.findall(body):
                    name = dotted or indexed
                    # `{{inputs.parameters}}` (all, as JSON) and `{{workflow.parameters.json}}` are not references;
                    # nor are `{{steps.name}}`/`{{tasks.name}}`, the name of the current step or task.
                    if name and not _builtin(scope, name):
                        found.add(Ref(scope, name))
    return found


def depends_names(expression: str) -> list[tuple[str, str]]:
    """`(task, result)` pairs of a `depends` expression; result is "" for a bare task name.

    `"a.Succeeded && (b || !c.Failed)"` -> `[("a", "Succeeded"), ("b", ""), ("c", "Failed")]`.
    """
    cleaned = re.sub(r"&&|\|\||[!()]", " ", expression)
    pairs = []
    for token in cleaned.split():
        name, _, result = token.partition(".")
        pairs.append((name, result))
    return pairs
