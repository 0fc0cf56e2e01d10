"""On a cluster, Workflows take code only from repositories their namespace trusts, as on the local stack.

The admission policy (infra/terraform/modules/argo-stack/charts/git-repositories-policy) is evaluated here
with a CEL interpreter (cel-python, RE2 for `matches`) plus the Kubernetes string-library functions the
policy uses (`split`, `trim`, `substring`, `join`, with the semantics of cel-go's strings extension), against the same
objects the cluster admits: the rendered WorkflowTemplates, a Workflow as the `train-on-push` Sensor creates
it, hand-written Workflows and CronWorkflows. Its verdict on remote URLs must be the local engine's
(`sluicegate.engine._gitsource.check_repository`) for the same ConfigMap.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import celpy
import pytest
import yaml
from celpy import celtypes

from sluicegate.engine._gitsource import check_repository
from sluicegate.errors import StepError
from sluicegate.store import Store
from tests.conftest import rendered_manifests

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "infra" / "terraform" / "modules" / "argo-stack"
CHART = MODULE / "charts" / "git-repositories-policy"
POLICY = yaml.safe_load((CHART / "policy" / "validatingadmissionpolicy.yaml").read_text())
BINDING = yaml.safe_load((CHART / "policy" / "binding.yaml").read_text())
NS = "team-a"
TRUSTED = "# our own\nhttps://github.com/acme/   # the whole organisation\n\nhttps://gitlab.example.com/ml/one.git\n/srv/git\n"


def _split(s: celtypes.StringType, sep: celtypes.StringType) -> celtypes.ListType:
    return celtypes.ListType([celtypes.StringType(p) for p in str(s).split(str(sep))])


def _trim(s: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(str(s).strip())


def _substring(s: celtypes.StringType, start: celtypes.IntType) -> celtypes.StringType:
    return celtypes.StringType(str(s)[int(start) :])


def _join(items: celtypes.ListType, sep: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(str(sep).join(str(i) for i in items))


FUNCTIONS: dict[str, Callable[..., Any]] = {"split": _split, "trim": _trim, "substring": _substring, "join": _join}
ENV = celpy.Environment()


@functools.cache
def _program(expression: str) -> Any:
    return ENV.program(ENV.compile(expression), functions=FUNCTIONS)


def _eval(expression: str, activation: dict[str, Any]) -> Any:
    return _program(expression).evaluate(activation)


def admit(obj: dict[str, Any], repositories: str | None = TRUSTED) -> list[str]:
    """The policy's messages for `obj` in namespace NS (empty: admitted), as the API server evaluates it."""
    params: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "git-repositories"}}
    if repositories is not None:
        params["data"] = {"repositories": repositories}
    activation: dict[str, Any] = {
        "object": celpy.json_to_cel(obj),
        "params": celpy.json_to_cel(params),
        "namespaceObject": celpy.json_to_cel({"metadata": {"name": NS}}),
    }
    variables: dict[str, Any] = {}
    for var in POLICY["spec"]["variables"]:
        activation["variables"] = celtypes.MapType(variables)
        variables[celtypes.StringType(var["name"])] = _eval(var["expression"], activation)
    activation["variables"] = celtypes.MapType(variables)
    messages = []
    for rule in POLICY["spec"]["validations"]:
        if not _eval(rule["expression"], activation):
            messages.append(str(_eval(rule["messageExpression"], activation)))
    return messages


def _workflow(repo: str) -> dict[str, Any]:
    """A Workflow as the train-on-push Sensor creates it from the pushed repository."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "project-pipeline-", "namespace": NS},
        "spec": {
            "arguments": {"parameters": [{"name": "git-repo", "value": repo}, {"name": "git-revision", "value": "a1"}]},
            "workflowTemplateRef": {"name": "project-pipeline"},
        },
    }


def _inline(repo: str) -> dict[str, Any]:
    """A Workflow with its own template cloning `repo` directly."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "inline-", "namespace": NS},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "inputs": {"artifacts": [{"name": "src", "path": "/src", "git": {"repo": repo}}]},
                    "container": {"image": "alpine", "command": ["ls", "/src"]},
                }
            ],
        },
    }


def _rendered(kind: str) -> list[dict[str, Any]]:
    return [d for _, d in rendered_manifests() if d["kind"] == kind]


@pytest.mark.parametrize("name", [t["metadata"]["name"] for t in _rendered("WorkflowTemplate")])
def test_every_rendered_workflow_template_is_admitted_with_the_default_list(name: str) -> None:
    [template] = [t for t in _rendered("WorkflowTemplate") if t["metadata"]["name"] == name]
    assert admit(template, "https://github.com/sluicegate/\n") == []


def test_the_rendered_cron_workflows_are_admitted() -> None:
    crons = _rendered("CronWorkflow")
    assert crons, "manifests/ has a CronWorkflow to check"
    for cron in crons:
        assert admit(cron, "https://github.com/sluicegate/\n") == []


def test_a_pushed_trusted_repository_is_admitted() -> None:
    assert admit(_workflow("https://github.com/acme/churn.git")) == []
    assert admit(_workflow("https://gitlab.example.com/ml/one.git")) == []


def test_an_untrusted_repository_from_event_data_is_refused_with_the_entry_to_add() -> None:
    [message] = admit(_workflow("https://github.com/mallory/churn.git"))
    assert message.startswith("spec.arguments.parameters[git-repo]: not a trusted git repository")
    assert "https://github.com/acme/, https://gitlab.example.com/ml/one.git" in message  # comments and folders dropped
    assert f"ConfigMap git-repositories (key repositories) in namespace {NS}" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/../mallory/x.git",
        "https://github.com/acme/./x/..",
        "https://github.com/acme",  # the prefix ends with '/': `acme-evil` must not pass either
        "https://github.com/acme-evil/x.git",
        "https://gitlab.example.com/ml/one.git.evil/x",
        "/srv/git/repo",  # folders are the local stack's entries; a cluster clones no host folder
    ],
)
def test_look_alike_and_normalising_urls_are_refused(url: str) -> None:
    assert admit(_workflow(url)) != []
    assert admit(_inline(url)) != []


def test_without_entries_nothing_is_trusted() -> None:
    [message] = admit(_workflow("https://github.com/acme/churn.git"), repositories=None)
    assert "(trusted: none)" in message


def test_an_inline_git_artifact_is_checked() -> None:
    assert admit(_inline("https://github.com/acme/churn.git")) == []
    [message] = admit(_inline("https://github.com/mallory/x.git"))
    assert message.startswith("git artifacts: a git.repo is not a trusted repository")


def test_a_git_repo_known_only_at_run_time_is_refused() -> None:
    by_output = _inline("{{inputs.parameters.git-repo}}")
    by_output["spec"]["templates"][0]["inputs"]["parameters"] = [{"name": "git-repo"}]
    caller = {
        "name": "outer",
        "steps": [
            [{"name": "find", "template": "finder"}],
            [
                {
                    "name": "clone",
                    "template": "main",
                    "arguments": {"parameters": [{"name": "git-repo", "value": "{{steps.find.outputs.result}}"}]},
                }
            ],
        ],
    }
    by_output["spec"]["templates"].append(caller)
    [message] = admit(by_output)
    assert message.startswith("spec.templates[*].steps[*][*].arguments.parameters[git-repo]")

    from_config = _workflow("")
    from_config["spec"]["arguments"]["parameters"][0] = {
        "name": "git-repo",
        "valueFrom": {"configMapKeyRef": {"name": "elsewhere", "key": "url"}},
    }
    assert admit(from_config) != []


def test_dag_task_arguments_and_template_defaults_are_checked() -> None:
    wf = _inline("{{inputs.parameters.git-repo}}")
    wf["spec"]["templates"][0]["inputs"]["parameters"] = [{"name": "git-repo", "default": "https://github.com/m/x"}]
    [message] = admit(wf)
    assert message.startswith("spec.templates[*].inputs.parameters[git-repo]")

    wf["spec"]["templates"][0]["inputs"]["parameters"] = [{"name": "git-repo"}]
    task = {
        "name": "t",
        "template": "main",
        "arguments": {"parameters": [{"name": "git-repo", "value": "https://x.example/y"}]},
    }
    wf["spec"]["templates"].append({"name": "graph", "dag": {"tasks": [task]}})
    [message] = admit(wf)
    assert message.startswith("spec.templates[*].dag.tasks[*].arguments.parameters[git-repo]")
    trusted = copy.deepcopy(wf)
    trusted["spec"]["templates"][1]["dag"]["tasks"][0]["arguments"]["parameters"][0]["value"] = (
        "https://github.com/acme/y"
    )
    assert admit(trusted) == []


def test_every_refused_repository_is_named_with_its_field_in_one_message() -> None:
    wf = _inline("https://github.com/acme/../mallory/x.git")
    wf["spec"]["arguments"] = {
        "parameters": [
            {"name": "git-repo", "value": "https://github.com/mallory/x.git"},
            {"name": "git-repo", "valueFrom": {"configMapKeyRef": {"name": "elsewhere", "key": "url"}}},
        ]
    }
    [message] = admit(wf)
    assert message.startswith(
        "spec.arguments.parameters[git-repo]: not a trusted git repository: 'https://github.com/mallory/x.git'; "
    )
    assert "; spec.arguments.parameters[git-repo].valueFrom: refused" in message
    assert (
        "; git artifacts: a git.repo is not a trusted repository: 'https://github.com/acme/../mallory/x.git' "
        "at spec.templates[*].inputs.artifacts[*].git.repo (trusted: " in message
    )


def test_an_empty_git_repo_parameter_is_admitted_but_an_empty_artifact_repo_is_not() -> None:
    assert admit(_workflow("")) == []
    [message] = admit(_inline(""))
    assert message.startswith("git artifacts: a git.repo is not a trusted repository: '' at ")


def test_a_cron_workflow_is_checked_through_its_workflow_spec() -> None:
    cron = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "nightly", "namespace": NS},
        "spec": {"schedules": ["0 3 * * *"], "workflowSpec": _workflow("https://github.com/mallory/x")["spec"]},
    }
    assert admit(cron) != []
    cron["spec"]["workflowSpec"] = _workflow("https://github.com/acme/x")["spec"]
    assert admit(cron) == []


@pytest.fixture(scope="module")
def local_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The local stack's store with the same ConfigMap; the cross-check only reads it, so one serves every case."""
    store = Store(tmp_path_factory.mktemp("store") / "store.db")
    try:
        store.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "git-repositories", "namespace": NS},
                "data": {"repositories": TRUSTED},
            }
        )
        yield store
    finally:
        store.close()


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/churn.git",
        "https://github.com/acme/deep/er.git",
        "https://gitlab.example.com/ml/one.git",
        "https://github.com/mallory/churn.git",
        "https://github.com/acme/../mallory/churn.git",
        "https://github.com/acmeco/x.git",
        "https://gitlab.example.com/ml/one.git.evil/x",
        "https://gitlab.example.com/ml/one.git/sub",
        "ssh://git@github.com/acme/x.git",
    ],
)
def test_the_cluster_and_the_local_engine_agree_on_remote_urls(url: str, local_store: Store) -> None:
    try:
        check_repository(local_store, NS, url, where="test")
        local = True
    except StepError:
        local = False
    assert (admit(_workflow(url)) == []) is local


def test_the_binding_reads_each_team_namespace_s_own_config_map_and_denies_without_it() -> None:
    spec = BINDING["spec"]
    assert spec["policyName"] == POLICY["metadata"]["name"]
    assert spec["validationActions"] == ["Deny"]
    assert spec["paramRef"] == {"name": "git-repositories", "parameterNotFoundAction": "Deny"}
    teams = (MODULE / "teams.tf").read_text()
    [selector] = spec["matchResources"]["namespaceSelector"]["matchExpressions"]
    assert f'"{selector["key"]}"' in teams  # the label teams.tf puts on every team namespace
    rules = POLICY["spec"]["matchConstraints"]["resourceRules"]
    assert {r for rule in rules for r in rule["resources"]} == {"workflows", "workflowtemplates", "cronworkflows"}
    assert POLICY["spec"]["failurePolicy"] == "Fail"
