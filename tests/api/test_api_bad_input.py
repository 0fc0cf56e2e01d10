"""Whatever a client sends, the API answers 2xx or 4xx with Argo's error body, never 5xx, and stores nothing bad."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NS = "sluicegate"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
keys = st.sampled_from(["metadata", "spec", "status", "kind", "apiVersion"])
documents = st.dictionaries(keys, json_values, max_size=4) | json_values
ROUTES = [
    ("POST", f"/api/v1/workflows/{NS}", "workflow"),
    ("POST", f"/api/v1/workflows/{NS}/lint", "workflow"),
    ("POST", f"/api/v1/workflow-templates/{NS}", "template"),
    ("PUT", f"/api/v1/workflow-templates/{NS}/fuzz", "template"),
    ("POST", f"/api/v1/cron-workflows/{NS}", "cronWorkflow"),
    ("POST", f"/api/v1/workflows/{NS}/submit", "submitOptions"),
    ("POST", f"/api/v1/workflows/{NS}/submit", "resourceName"),
    ("PUT", f"/api/v1/workflows/{NS}/fuzz-wf/stop", "message"),
    ("POST", f"/api/v1/sluice/objects/Sensor/{NS}", None),
]


@pytest.fixture(scope="module", autouse=True)
def targets(api) -> None:
    template = {
        "metadata": {"name": "fuzz-target"},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "alpine"}}]},
    }
    with api.client() as c:
        assert c.post(f"/api/v1/workflow-templates/{NS}", json={"template": template}).status_code == 200
        wf = {**template, "metadata": {"name": "fuzz-wf"}}
        assert c.post(f"/api/v1/workflows/{NS}", json={"workflow": wf}).status_code == 200


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), doc=documents)
def test_random_documents_never_get_5xx(api, route, doc) -> None:
    method, path, key = route
    body = doc if key is None else {key: doc}
    if key in ("submitOptions", "resourceName"):  # reach past the first checks: a real template to submit
        body = {"resourceKind": "WorkflowTemplate", "resourceName": "fuzz-target", "submitOptions": {}, **body}
    with api.client() as c:
        resp = c.request(method, path, json=body)
    assert resp.status_code < 500, resp.text
    if resp.status_code >= 400:
        assert set(resp.json()) >= {"code", "message"}
