"""retryStrategy: limit, retryPolicy, expression, backoff; Retry node shape."""

from __future__ import annotations

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import sh, workflow

# fails until the third attempt, counting attempts in a file shared through the workflow's volume
FLAKY = "n=$(cat /mnt/c/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /mnt/c/n; echo attempt $n; [ $n -ge 3 ]"


def _flaky(strategy: dict[str, object]) -> dict[str, object]:
    t = sh("flaky", FLAKY, retryStrategy=strategy)
    t["container"]["volumeMounts"] = [{"name": "c", "mountPath": "/mnt/c"}]
    return t


def _run(engine: LocalEngine, strategy: dict[str, object]) -> dict[str, object]:
    wf = workflow("flaky", _flaky(strategy), volumeClaimTemplates=[{"metadata": {"name": "c"}}])
    return engine.wait(engine.submit(wf))


def test_retry_until_success_creates_retry_children(engine: LocalEngine) -> None:
    done = _run(engine, {"limit": 3})
    assert done["status"]["phase"] == "Succeeded"
    name = done["metadata"]["name"]
    nodes = done["status"]["nodes"]
    parent = nodes[name]
    assert parent["type"] == "Retry"
    children = [nodes[c] for c in parent["children"]]
    assert [c["displayName"] for c in children] == [f"{name}(0)", f"{name}(1)", f"{name}(2)"]
    assert [c["phase"] for c in children] == ["Failed", "Failed", "Succeeded"]
    assert parent["outputs"]["result"] == "attempt 3"


def test_retry_limit_exhausted_fails_with_argo_message(engine: LocalEngine) -> None:
    done = _run(engine, {"limit": "1"})
    assert done["status"]["phase"] == "Failed"
    parent = done["status"]["nodes"][done["metadata"]["name"]]
    assert parent["message"] == "No more retries left"
    assert len(parent["children"]) == 2


def test_retry_policy_on_error_does_not_retry_failures(engine: LocalEngine) -> None:
    done = _run(engine, {"limit": 3, "retryPolicy": "OnError"})
    parent = done["status"]["nodes"][done["metadata"]["name"]]
    assert done["status"]["phase"] == "Failed"
    assert len(parent["children"]) == 1


def test_retry_expression_stops_retries(engine: LocalEngine) -> None:
    done = _run(engine, {"limit": 5, "expression": "asInt(lastRetry.exitCode) == 1 && asInt(retries) < 1"})
    parent = done["status"]["nodes"][done["metadata"]["name"]]
    assert done["status"]["phase"] == "Failed"
    assert parent["message"] == "retryStrategy.expression evaluated to false"
    assert len(parent["children"]) == 2


def test_retry_backoff_waits_between_attempts(engine: LocalEngine) -> None:
    done = _run(engine, {"limit": 3, "backoff": {"duration": "1", "factor": "1"}})
    assert done["status"]["phase"] == "Succeeded"
    nodes = done["status"]["nodes"]
    children = [nodes[c] for c in nodes[done["metadata"]["name"]]["children"]]
    # second-precision timestamps: each retry starts at least a second after the previous one finished
    assert children[1]["startedAt"] > children[0]["finishedAt"] or children[2]["startedAt"] > children[1]["finishedAt"]


def test_retries_variable_in_template(engine: LocalEngine) -> None:
    t = sh("t", "echo try {{retries}}; exit $(( {{retries}} < 1 ))", retryStrategy={"limit": 2})
    done = engine.wait(engine.submit(workflow("t", t)))
    assert done["status"]["phase"] == "Succeeded"
    assert done["status"]["nodes"][done["metadata"]["name"]]["outputs"]["result"] == "try 1"
