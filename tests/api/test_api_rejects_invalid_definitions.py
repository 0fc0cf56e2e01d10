"""Create, update, apply and submit run the checks of `sluice lint`: 400 naming every problem, nothing stored."""

from __future__ import annotations

import copy
from typing import Any

NS = "sluicegate"

#: A template with the three mistakes a new user made: a misspelt field, a dependency cycle, a missing template.
BAD: dict[str, Any] = {
    "metadata": {"name": "bad-pipeline"},
    "spec": {
        "entrypoint": "main",
        "templates": [
            {
                "name": "main",
                "dag": {
                    "tasks": [
                        {"name": "a", "template": "step", "dependencies": ["b"]},
                        {"name": "b", "template": "step", "dependencies": ["a"]},
                        {"name": "c", "template": "missing"},
                    ]
                },
            },
            {"name": "step", "container": {"image": "alpine:3.20", "comand": ["echo", "hi"]}},
        ],
    },
}

GOOD: dict[str, Any] = {
    "metadata": {"name": "train-like"},
    "spec": {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "git-repo", "value": "/srv/repo"}, {"name": "model-name"}]},
        "templates": [{"name": "main", "container": {"image": "alpine:3.20", "command": ["echo", "hi"]}}],
    },
}


def _problems(resp: Any) -> list[str]:
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["code"] == 3  # grpc InvalidArgument, as the Argo Server answers
    return str(body["message"]).splitlines()


def _assert_each_problem_named(lines: list[str]) -> None:
    assert len(lines) == 3, lines
    assert any("spec.templates[1].container: unknown field 'comand'" in line for line in lines)
    assert any("spec.templates[0].dag.tasks[0]: dependency cycle a -> b -> a" in line for line in lines)
    assert any("spec.templates[0].dag.tasks[2]: no template named 'missing'" in line for line in lines)
    assert all(line.startswith("WorkflowTemplate/bad-pipeline: ") for line in lines)


def test_create_of_an_invalid_template_names_every_problem_and_stores_nothing(api) -> None:
    with api.client() as c:
        lines = _problems(c.post(f"/api/v1/workflow-templates/{NS}", json={"template": BAD}))
        _assert_each_problem_named(lines)
        assert c.get(f"/api/v1/workflow-templates/{NS}/bad-pipeline").status_code == 404


def test_update_to_an_invalid_template_is_refused_and_keeps_the_old_one(api) -> None:
    good = copy.deepcopy(BAD)
    good["spec"]["templates"] = [{"name": "main", "container": {"image": "alpine:3.20", "command": ["true"]}}]
    with api.client() as c:
        assert c.post(f"/api/v1/workflow-templates/{NS}", json={"template": good}).status_code == 200
        _assert_each_problem_named(
            _problems(c.put(f"/api/v1/workflow-templates/{NS}/bad-pipeline", json={"template": BAD}))
        )
        kept = c.get(f"/api/v1/workflow-templates/{NS}/bad-pipeline").json()
        assert kept["spec"]["templates"][0]["container"]["command"] == ["true"]
        c.delete(f"/api/v1/workflow-templates/{NS}/bad-pipeline")


def test_workflow_cron_and_cluster_template_get_the_same_checks(api) -> None:
    cron = {"metadata": {"name": "bad-cron"}, "spec": {"schedules": ["* * * * *"], "workflowSpec": BAD["spec"]}}
    with api.client() as c:
        for path, key, doc in (
            (f"/api/v1/workflows/{NS}", "workflow", BAD),
            (f"/api/v1/cron-workflows/{NS}", "cronWorkflow", cron),
            ("/api/v1/cluster-workflow-templates", "template", BAD),
            (f"/api/v1/sluice/objects/WorkflowTemplate/{NS}", None, {**BAD, "kind": "WorkflowTemplate"}),
        ):
            lines = _problems(c.post(path, json={key: doc} if key else doc))
            assert len(lines) == 3 and any("unknown field 'comand'" in line for line in lines), (path, lines)


def test_submit_with_a_misspelt_required_parameter_suggests_the_declared_one(api) -> None:
    # a parameter the template does not declare is accepted, as Argo accepts it; a required one missing is not
    with api.client() as c:
        assert c.post(f"/api/v1/workflow-templates/{NS}", json={"template": GOOD}).status_code == 200
        lines = _problems(
            c.post(
                f"/api/v1/workflows/{NS}/submit",
                json={
                    "resourceKind": "WorkflowTemplate",
                    "resourceName": "train-like",
                    "submitOptions": {"parameters": ["git-repo=/srv/other", "model-nam=iris"]},
                },
            )
        )
        assert len(lines) == 1
        assert "needs a value for 'model-name'" in lines[0]
        assert "did you mean `model-name` where you passed `model-nam`?" in lines[0]
        assert not c.get(f"/api/v1/workflows/{NS}").json()["items"]


def test_submit_without_a_required_parameter_names_it(api) -> None:
    with api.client() as c:
        c.post(f"/api/v1/workflow-templates/{NS}", json={"template": GOOD})
        body = {"resourceKind": "WorkflowTemplate", "resourceName": "train-like"}
        lines = _problems(c.post(f"/api/v1/workflows/{NS}/submit", json=body))
        assert any("needs a value for 'model-name'" in line for line in lines), lines
        ok = c.post(
            f"/api/v1/workflows/{NS}/submit", json={**body, "submitOptions": {"parameters": ["model-name=iris"]}}
        )
        assert ok.status_code == 200, ok.text
