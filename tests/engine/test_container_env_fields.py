"""What the kubelet fills in of a step's container environment: downward API fields, resources, `$(VAR)`.

`fieldRef` (name, namespace, uid, the labels and annotations Argo and the templates put on the pod, node,
service account, host and pod addresses; any other path fails the node), `resourceFieldRef` (limits and
requests, the node's allocatable where no limit is set, divisors and rounding up), and Kubernetes' `$(VAR)`
expansion in `env` values, `command` and `args` (`$$` escapes, unknown references kept), not in a script's source.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from sluicegate.engine._jobs import Job
from sluicegate.engine._podenv import StepPod, env_source
from sluicegate.engine.testing import LocalEngine
from sluicegate.errors import SluiceError
from tests.engine.conftest import apply_config_map, workflow

_FIELDS = {
    "F_NAME": "metadata.name",
    "F_NAMESPACE": "metadata.namespace",
    "F_UID": "metadata.uid",
    "F_WF_LABEL": "metadata.labels['workflows.argoproj.io/workflow']",
    "F_COMPLETED": "metadata.labels['workflows.argoproj.io/completed']",
    "F_TEAM": "metadata.labels['team']",
    "F_TIER": "metadata.labels['tier']",
    "F_MISSING": "metadata.labels['nope']",
    "F_RUN": "metadata.labels['run']",
    "F_OWNER": "metadata.annotations['owner']",
    "F_NODE_NAME": "metadata.annotations['workflows.argoproj.io/node-name']",
    "F_NOTE": "metadata.annotations['note']",
    "F_DEFAULT_CONTAINER": "metadata.annotations['kubectl.kubernetes.io/default-container']",
    "F_HOST": "spec.nodeName",
    "F_SA": "spec.serviceAccountName",
    "F_HOST_IP": "status.hostIP",
    "F_HOST_IPS": "status.hostIPs",
    "F_POD_IP": "status.podIP",
    "F_POD_IPS": "status.podIPs",
}


def _field(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _resource(name: str, resource: str, divisor: str | None = None, **extra: Any) -> dict[str, Any]:
    ref = {"resource": resource, **({"divisor": divisor} if divisor else {}), **extra}
    return {"name": name, "valueFrom": {"resourceFieldRef": ref}}


def _dumping(name: str, container: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A template writing its environment and its arguments (one a line) to output parameters."""
    script = 'env > /tmp/env; printf "%s\\n" "$@" > /tmp/args'
    outputs = [{"name": n, "valueFrom": {"path": f"/tmp/{n}"}} for n in ("env", "args")]
    return {
        "name": name,
        "container": {"image": "busybox", "command": ["sh", "-c", script, "sh"], **container},
        "outputs": {"parameters": outputs},
        **extra,
    }


def _outputs(done: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    assert done["status"]["phase"] == "Succeeded", done["status"].get("message")
    node = done["status"]["nodes"][done["metadata"]["name"]]
    values = {p["name"]: str(p["value"]) for p in node["outputs"]["parameters"]}
    env = dict(line.split("=", 1) for line in values["env"].splitlines() if "=" in line)
    return env, values["args"].splitlines()


@pytest.fixture(scope="module")
def step(engine: LocalEngine) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """One step using every field, resource and expansion: its workflow, environment and arguments."""
    apply_config_map(engine, "pod-env", {"FROM_CM": "cm", "CM_REF": "$(A)"})
    env = [
        *(_field(name, path) for name, path in _FIELDS.items()),
        _resource("R_CPU", "limits.cpu"),
        _resource("R_CPU_M", "limits.cpu", "1m"),
        _resource("R_CPU_REQ_M", "requests.cpu", "1m"),
        _resource("R_MEM_MI", "limits.memory", "1Mi"),
        _resource("R_MEM_REQ", "requests.memory"),
        _resource("R_MEM_K", "limits.memory", "1k"),
        _resource("R_DISK_GI", "limits.ephemeral-storage", "1Gi"),
        {"name": "A", "value": "a"},
        {"name": "B", "value": "$(A)-$(FROM_CM)-b"},
        {"name": "ESCAPED", "value": "$$(A) costs $$5"},
        {"name": "EARLY", "value": "[$(LATER)]"},
        {"name": "ARGO_REF", "value": "$(ARGO_POD_NAME)"},
        {"name": "LATER", "value": "late"},
    ]
    container = {
        "args": ["$(A)", "$(B)", "$$(A)", "$(NOPE)", "$(ARGO_POD_UID)", "$(FROM_CM)", "$(A"],
        "env": env,
        "envFrom": [{"configMapRef": {"name": "pod-env"}}],
        "resources": {"limits": {"cpu": "1500m", "memory": "64.5Mi"}, "requests": {"cpu": "250m"}},
    }
    metadata = {"labels": {"tier": "gold"}, "annotations": {"note": "hi"}}
    doc = workflow(
        "main",
        _dumping("main", container, metadata=metadata),
        serviceAccountName="runner",
        podMetadata={
            "labels": {"team": "ml", "tier": "silver", "run": "{{workflow.name}}"},
            "annotations": {"owner": "{{workflow.parameters.owner}}"},
        },
        arguments={"parameters": [{"name": "owner", "value": "ada"}]},
    )
    done = engine.wait(engine.submit(doc))
    env_, args = _outputs(done)
    return done, env_, args


def test_field_refs_give_the_pods_identity_and_addresses(
    step: tuple[dict[str, Any], dict[str, str], list[str]],
) -> None:
    done, env, _ = step
    name = done["metadata"]["name"]
    node = done["status"]["nodes"][name]
    assert (env["F_NAME"], env["F_NAMESPACE"]) == (node["id"], "argo")
    assert (env["F_HOST"], env["F_HOST_IP"], env["F_POD_IP"]) == (node["hostNodeName"], node["podIP"], node["podIP"])
    assert (env["F_HOST_IPS"], env["F_POD_IPS"]) == ("127.0.0.1", "127.0.0.1")
    assert env["F_SA"] == "runner"  # the workflow's serviceAccountName


def test_pod_uid_is_a_uid_shared_with_argo_pod_uid(step: tuple[dict[str, Any], dict[str, str], list[str]]) -> None:
    _, env, _ = step
    assert len(env["F_UID"]) == 36 and env["F_UID"].count("-") == 4
    assert env["ARGO_POD_UID"] == env["F_UID"]


def test_labels_and_annotations_are_argos_then_pod_metadata_then_the_templates(
    step: tuple[dict[str, Any], dict[str, str], list[str]],
) -> None:
    done, env, _ = step
    assert (env["F_WF_LABEL"], env["F_COMPLETED"]) == (done["metadata"]["name"], "false")
    assert (env["F_TEAM"], env["F_TIER"], env["F_MISSING"]) == ("ml", "gold", "")  # the template's over podMetadata's
    assert (env["F_NODE_NAME"], env["F_NOTE"], env["F_DEFAULT_CONTAINER"]) == (done["metadata"]["name"], "hi", "main")
    # the workflow's global variables are resolved in podMetadata, as Argo resolves them in the whole spec
    assert (env["F_RUN"], env["F_OWNER"]) == (done["metadata"]["name"], "ada")


def test_resource_fields_round_up_by_their_divisor(step: tuple[dict[str, Any], dict[str, str], list[str]]) -> None:
    _, env, _ = step
    assert (env["R_CPU"], env["R_CPU_M"], env["R_CPU_REQ_M"]) == ("2", "1500", "250")  # ceil(1.5 cores)
    assert (env["R_MEM_MI"], env["R_MEM_K"]) == ("65", str(-(-int(64.5 * 2**20) // 1000)))
    assert env["R_MEM_REQ"] == str(int(64.5 * 2**20))  # no request: the limit, as the API server defaults it


def test_a_limit_not_set_is_the_nodes_allocatable(
    engine: LocalEngine, step: tuple[dict[str, Any], dict[str, str], list[str]]
) -> None:
    _, env, _ = step
    assert env["R_DISK_GI"] == str(-(-shutil.disk_usage(engine.home).total // 2**30))


def test_env_values_expand_earlier_variables_and_keep_the_rest(
    step: tuple[dict[str, Any], dict[str, str], list[str]],
) -> None:
    _, env, _ = step
    assert (env["B"], env["ESCAPED"]) == ("a-cm-b", "$(A) costs $5")
    assert env["EARLY"] == "[$(LATER)]"  # defined after it: not known yet
    assert env["ARGO_REF"] == "$(ARGO_POD_NAME)"  # Argo appends its own variables after the container's
    assert env["CM_REF"] == "$(A)"  # envFrom values are taken as they are


def test_args_expand_the_containers_environment(step: tuple[dict[str, Any], dict[str, str], list[str]]) -> None:
    _, env, args = step
    assert args == ["a", "a-cm-b", "$(A)", "$(NOPE)", env["F_UID"], "cm", "$(A"]


def test_command_expands_and_script_source_does_not(engine: LocalEngine) -> None:
    env = [{"name": "SHELL_NAME", "value": "sh"}, {"name": "X", "value": "x"}]
    source = "echo '$(X)' > /tmp/out"  # a shell would run `$(X)` as a command: the step fails if it is expanded
    script = dict(
        name="main",
        script=dict(image="busybox", command=["$(SHELL_NAME)"], env=env, source=source),
        outputs={"parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out"}}]},
    )
    done = engine.wait(engine.submit(workflow("main", script)))
    assert done["status"]["phase"] == "Succeeded", done["status"].get("message")
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert node["outputs"]["parameters"][0]["value"] == "$(X)"


def test_an_unsupported_field_path_fails_the_node_naming_container_and_variable(engine: LocalEngine) -> None:
    step = _dumping("main", {"env": [_field("BAD", "spec.hostname")]})
    done = engine.wait(engine.submit(workflow("main", step)))
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert node["phase"] == "Error"
    assert 'Unsupported value: "spec.hostname"' in node["message"]
    assert "container 'main'" in node["message"] and "env 'BAD'" in node["message"]
    assert '"status.podIPs"' in node["message"] and "metadata.labels['<key>']" in node["message"]


def _pod(engine: LocalEngine, template: dict[str, Any], node_id: str = "wf-1") -> StepPod:
    job = Job("argo", "not-stored", "0000-uid", node_id, "not-stored", template)
    return StepPod(job, engine.store, engine.home)


def _value(pod: StepPod, var: dict[str, Any], container: str = "main") -> str:
    return env_source(pod, container, var, "here")


def test_service_account_is_the_templates_else_default(engine: LocalEngine) -> None:
    own = _pod(engine, {"name": "t", "container": {}, "serviceAccountName": "mine"})
    assert _value(own, _field("SA", "spec.serviceAccountName")) == "mine"
    assert _value(_pod(engine, {"name": "t", "container": {}}), _field("SA", "spec.serviceAccountName")) == "default"


def test_pod_uid_is_stable_for_a_node_and_new_for_another(engine: LocalEngine) -> None:
    tmpl = {"name": "t", "container": {}}
    assert _pod(engine, tmpl).uid == _pod(engine, tmpl).uid != _pod(engine, tmpl, "wf-2").uid


def test_without_resources_limits_are_the_hosts_and_requests_zero(engine: LocalEngine) -> None:
    pod = _pod(engine, {"name": "t", "container": {}})
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert _value(pod, _resource("C", "limits.cpu")) == str(os.cpu_count())
    assert _value(pod, _resource("C", "limits.cpu", "1m")) == str(1000 * (os.cpu_count() or 1))
    assert _value(pod, _resource("M", "limits.memory", "1Mi")) == str(-(-memory // 2**20))
    assert _value(pod, _resource("R", "requests.cpu")) == "0"
    assert _value(pod, _resource("H", "limits.hugepages-2Mi")) == "0"


def test_container_name_reads_another_container_of_the_pod(engine: LocalEngine) -> None:
    containers = [{"name": "a", "resources": {"limits": {"memory": "1Gi"}}}, {"name": "b"}]
    pod = _pod(engine, {"name": "t", "containerSet": {"containers": containers}})
    assert _value(pod, _resource("M", "limits.memory", "1Mi", containerName="a"), container="b") == "1024"
    with pytest.raises(SluiceError, match="container c not found"):
        _value(pod, _resource("M", "limits.memory", containerName="c"), container="b")


@pytest.mark.parametrize(
    ("var", "words"),
    [
        (_resource("C", "limits.cpu", "2"), 'divisor: Unsupported value: "2"'),
        (_resource("M", "limits.memory", "1m"), 'divisor: Unsupported value: "1m"'),
        (_resource("M", "limits.memory", "1024"), 'divisor: Unsupported value: "1024"'),
        (_resource("G", "limits.gpu"), 'resource: Unsupported value: "limits.gpu"'),
        (_field("V", "metadata.labels"), 'Unsupported value: "metadata.labels"'),
        ({"name": "V", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v2"}}}, "'v2'"),
    ],
)
def test_kubernetes_rejects_these_sources(engine: LocalEngine, var: dict[str, Any], words: str) -> None:
    with pytest.raises(SluiceError, match="Unsupported value") as caught:
        _value(_pod(engine, {"name": "t", "container": {}}), var)
    assert words in caught.value.message
