"""`lint_documents` answers every input with a list of errors and never raises (the API lints user input)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluicegate.lint import LintError, lint_documents
from tests.conftest import rendered_manifests

_DOCS = [doc for _, doc in rendered_manifests()]
_ARGO = [d for d in _DOCS if d["kind"] in ("WorkflowTemplate", "CronWorkflow", "Sensor")]

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_lint_never_raises_on_a_mangled_manifest(data: st.DataObject) -> None:
    doc = copy.deepcopy(data.draw(st.sampled_from(_ARGO)))
    path = data.draw(st.sampled_from(_paths(doc)))
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = data.draw(_json)
    errors = lint_documents([("x.yaml", doc), *(("t.yaml", d) for d in _ARGO)])
    assert all(isinstance(e, LintError) and str(e) for e in errors)


@settings(max_examples=100, deadline=None)
@given(_json, st.sampled_from(["Workflow", "WorkflowTemplate", "CronWorkflow", "Sensor"]))
def test_lint_never_raises_on_arbitrary_documents(body: Any, kind: str) -> None:
    doc = {"kind": kind, "metadata": body, "spec": body} if not isinstance(body, dict) else {**body, "kind": kind}
    assert isinstance(lint_documents([("x.yaml", doc)]), list)
