"""A step's environment from ConfigMaps and Secrets in its namespace, as the kubelet builds it.

`env[].valueFrom` `configMapKeyRef`/`secretKeyRef` (Secret `data` base64, `stringData` over it), `envFrom[]`
with `prefix` (keys that are not environment variable names skipped, `env` entries winning), `optional`
leaving variables unset, and a missing non-optional object or key failing the node as
CreateContainerConfigError in Kubernetes' words.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from sluicegate.engine._envsources import env_from
from sluicegate.engine.testing import LocalEngine
from sluicegate.secrets import SecretStore
from tests.engine.conftest import sh, workflow


@pytest.fixture(scope="module", autouse=True)
def _objects(engine: LocalEngine) -> None:
    meta = {"namespace": "argo"}
    engine.store.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cm", **meta},
            "data": {"A": "cm-a", "B": "cm-b", "not valid": "x", "1BAD": "x", "dotted.name": "d"},
        }
    )
    engine.store.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "sec", **meta},
            "data": {"S": base64.b64encode(b"s3cret").decode(), "T": base64.b64encode(b"old").decode()},
            "stringData": {"T": "plain"},
        }
    )


def _run(engine: LocalEngine, container: dict[str, Any]) -> dict[str, Any]:
    step = sh("main", "env > /tmp/env", outputs={"parameters": [{"name": "env", "valueFrom": {"path": "/tmp/env"}}]})
    step["container"].update(container)
    return engine.wait(engine.submit(workflow("main", step)))


def _env(done: dict[str, Any]) -> dict[str, str]:
    assert done["status"]["phase"] == "Succeeded", done["status"].get("message")
    node = done["status"]["nodes"][done["metadata"]["name"]]
    text = str(node["outputs"]["parameters"][0]["value"])
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _ref(field: str, name: str, key: str, **extra: Any) -> dict[str, Any]:
    return {"valueFrom": {field: {"name": name, "key": key, **extra}}}


def test_key_refs_read_config_maps_and_secrets(engine: LocalEngine) -> None:
    env = _env(
        _run(
            engine,
            {
                "env": [
                    {"name": "X_CM", **_ref("configMapKeyRef", "cm", "A")},
                    {"name": "X_SEC", **_ref("secretKeyRef", "sec", "S")},
                    {"name": "X_STR", **_ref("secretKeyRef", "sec", "T")},
                    {"name": "X_OPT_KEY", **_ref("configMapKeyRef", "cm", "nope", optional=True)},
                    {"name": "X_OPT_CM", **_ref("configMapKeyRef", "gone", "A", optional=True)},
                    {"name": "X_OPT_SEC", **_ref("secretKeyRef", "gone", "A", optional=True)},
                    {"name": "X_POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                ]
            },
        )
    )
    assert (env["X_CM"], env["X_SEC"], env["X_STR"], env["X_POD"]) == ("cm-a", "s3cret", "plain", "argo")
    assert not {"X_OPT_KEY", "X_OPT_CM", "X_OPT_SEC"} & env.keys()  # optional and missing: unset, not ""


def test_env_from_with_prefix_skips_invalid_names_and_env_wins(engine: LocalEngine) -> None:
    env = _env(
        _run(
            engine,
            {
                "envFrom": [
                    {"configMapRef": {"name": "cm"}},
                    {"secretRef": {"name": "sec"}, "prefix": "P_"},
                    {"configMapRef": {"name": "gone", "optional": True}},
                ],
                "env": [{"name": "B", "value": "explicit"}],
            },
        )
    )
    assert (env["A"], env["B"]) == ("cm-a", "explicit")
    assert (env["P_S"], env["P_T"]) == ("s3cret", "plain")
    assert not {"not valid", "1BAD"} & env.keys()


def test_env_from_keeps_the_names_kubernetes_keeps(engine: LocalEngine) -> None:
    # a shell drops `dotted.name` from what it passes on, so this reads what the step is started with
    env = env_from(engine.store, "argo", [{"configMapRef": {"name": "cm"}, "prefix": "p-"}], "here")
    assert env == {"p-A": "cm-a", "p-B": "cm-b", "p-dotted.name": "d", "p-1BAD": "x"}  # "1BAD" valid after a prefix


@pytest.mark.parametrize(
    ("container", "words"),
    [
        ({"env": [{"name": "V", **_ref("configMapKeyRef", "gone", "A")}]}, 'configmap "gone" not found'),
        (
            {"env": [{"name": "V", **_ref("configMapKeyRef", "cm", "nope")}]},
            "couldn't find key nope in ConfigMap argo/cm",
        ),
        ({"env": [{"name": "V", **_ref("secretKeyRef", "sec", "nope")}]}, "couldn't find key nope in Secret argo/sec"),
        ({"env": [{"name": "V", **_ref("secretKeyRef", "gone", "A")}]}, 'secret "gone" not found'),
        ({"envFrom": [{"configMapRef": {"name": "gone"}}]}, 'configmap "gone" not found'),
        ({"envFrom": [{"secretRef": {"name": "gone"}}]}, 'secret "gone" not found'),
    ],
)
def test_a_missing_reference_fails_the_node(engine: LocalEngine, container: dict[str, Any], words: str) -> None:
    done = _run(engine, container)
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert node["phase"] == "Error"
    assert words in node["message"] and "CreateContainerConfigError" in node["message"]
    assert "optional: true" in node["message"]  # the fix
    assert "container 'main'" in node["message"]  # where


def test_container_set_containers_get_the_same_environment(engine: LocalEngine) -> None:
    env_from = [{"configMapRef": {"name": "cm"}}]
    step = {
        "name": "main",
        "containerSet": {
            "containers": [
                {"name": "main", "image": "busybox", "command": ["sh", "-c", "env > /tmp/env"], "envFrom": env_from},
            ]
        },
        "outputs": {"parameters": [{"name": "env", "valueFrom": {"path": "/tmp/env"}}]},
    }
    done = engine.wait(engine.submit(workflow("main", step)))
    assert _env(done)["A"] == "cm-a"


def test_sidecars_get_the_same_environment(engine: LocalEngine) -> None:
    sidecar = {
        "name": "side",
        "image": "busybox",
        "command": ["sh", "-c", "echo $A > /tmp/side.tmp && mv /tmp/side.tmp /tmp/side; sleep 30"],
        "envFrom": [{"configMapRef": {"name": "cm"}}],
    }
    wait = "i=0; while [ ! -f /tmp/side ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; cat /tmp/side > /tmp/a"
    step = sh("main", wait, outputs={"parameters": [{"name": "a", "valueFrom": {"path": "/tmp/a"}}]})
    step["sidecars"] = [sidecar]
    done = engine.wait(engine.submit(workflow("main", step)))
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert node["outputs"]["parameters"][0]["value"] == "cm-a"


def test_a_step_never_reads_the_secrets_that_authenticate_senders_to_the_stack(engine: LocalEngine) -> None:
    secrets = SecretStore(engine.home)  # what `sluice secret set` writes, where the controller resolves from
    secrets.set("github-webhook", "secret", "hmac-key")
    secrets.set("team-api", "key", "team-value")
    done = _run(engine, {"env": [{"name": "K", **_ref("secretKeyRef", "github-webhook", "secret")}]})
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert node["phase"] == "Error"
    assert "authenticates senders to the stack's event sources" in node["message"]
    assert "hmac-key" not in str(done)
    assert _env(_run(engine, {"env": [{"name": "K", **_ref("secretKeyRef", "team-api", "key")}]}))["K"] == "team-value"
