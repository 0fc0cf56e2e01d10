"""Argo's `synchronization`: mutexes and ConfigMap semaphores hold workflows and templates back, in queue order."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import apply_config_map, sh, workflow

Doc = dict[str, Any]


def _shared(engine: LocalEngine, claim: str) -> tuple[Path, list[dict[str, Any]]]:
    """A claim every step of the test mounts at /mnt/s (the host folder, and the workflow's `volumes`)."""
    return engine.home / "volumes" / "argo" / claim, [{"name": "s", "persistentVolumeClaim": {"claimName": claim}}]


def _gated(name: str, gate: str, label: str) -> Doc:
    """A step that logs its start to /mnt/s/log, waits for /mnt/s/<gate> to exist, then logs its end."""
    log = "/mnt/s/log"
    script = (
        f"echo '{label} start' >> {log}; while [ ! -f /mnt/s/{gate} ]; do sleep 0.05; done; echo '{label} end' >> {log}"
    )
    tmpl = sh(name, script)
    tmpl["container"]["volumeMounts"] = [{"name": "s", "mountPath": "/mnt/s"}]
    return tmpl


def _phase(doc: Doc) -> str:
    return str((doc.get("status") or {}).get("phase", ""))


def test_workflow_mutex_keeps_the_second_workflow_pending_until_the_first_ends(
    engine: LocalEngine,
) -> None:
    folder, volumes = _shared(engine, "mutex")
    log, gate = folder / "log", folder / "gate"
    sync = {"mutexes": [{"name": "deploy"}]}
    first = engine.submit(workflow("main", _gated("main", "gate", "first"), synchronization=sync, volumes=volumes))
    engine.until(first, lambda d: log.exists() and "first start" in log.read_text())
    second = engine.submit(workflow("main", _gated("main", "gate", "second"), synchronization=sync, volumes=volumes))
    waiting = engine.until(second, lambda d: "Waiting for" in str((d.get("status") or {}).get("message", "")))
    assert _phase(waiting) == "Pending"
    assert waiting["status"]["message"] == "Waiting for argo/Mutex/deploy lock. Lock status: 0/1"
    holder = f"argo/{first['metadata']['name']}"
    assert waiting["status"]["synchronization"]["mutex"]["waiting"] == [
        {"mutex": "argo/Mutex/deploy", "holder": holder}
    ]
    running = engine.store.get("Workflow", "argo", first["metadata"]["name"])
    assert running["status"]["synchronization"]["mutex"]["holding"] == [
        {"mutex": "argo/Mutex/deploy", "holder": holder}
    ]
    gate.touch()
    done_first, done_second = engine.wait(first), engine.wait(second)
    assert (_phase(done_first), _phase(done_second)) == ("Succeeded", "Succeeded")
    assert log.read_text().split("\n")[:3] == ["first start", "first end", "second start"]
    assert "synchronization" not in done_first["status"] and "synchronization" not in done_second["status"]


def test_template_semaphore_runs_at_most_the_configmap_limit_at_once(engine: LocalEngine) -> None:
    apply_config_map(engine, "limits", {"n": "2"})
    folder, volumes = _shared(engine, "semaphore")
    log, gate = folder / "log", folder / "gate"
    work = _gated("work", "gate", "{{inputs.parameters.i}}")
    work["inputs"] = {"parameters": [{"name": "i"}]}
    work["synchronization"] = {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "n"}}]}
    fan = {
        "name": "main",
        "steps": [
            [
                {
                    "name": "w",
                    "template": "work",
                    "arguments": {"parameters": [{"name": "i", "value": "{{item}}"}]},
                    "withItems": [1, 2, 3, 4],
                }
            ]
        ],
    }
    wf = engine.submit(workflow("main", fan, work, volumes=volumes))

    def two_wait(doc: Doc) -> bool:
        nodes = (doc.get("status") or {}).get("nodes") or {}
        return sum(1 for n in nodes.values() if (n.get("synchronizationStatus") or {}).get("waiting")) == 2

    waiting = engine.until(wf, lambda d: two_wait(d) and log.exists() and log.read_text().count("start") == 2)
    pending = [n for n in waiting["status"]["nodes"].values() if n.get("synchronizationStatus")]
    assert {n["phase"] for n in pending} == {"Pending"}
    assert {n["message"] for n in pending} == {"Waiting for argo/ConfigMap/limits/n lock. Lock status: 0/2"}
    holding = waiting["status"]["synchronization"]["semaphore"]["holding"]
    assert [h["semaphore"] for h in holding] == ["argo/ConfigMap/limits/n"] and len(holding[0]["holders"]) == 2
    assert log.read_text().count("start") == 2
    gate.touch()
    done = engine.wait(wf)
    assert _phase(done) == "Succeeded"
    assert log.read_text().count("end") == 4
    assert "synchronization" not in done["status"]
    assert not any(n.get("synchronizationStatus") for n in done["status"]["nodes"].values())


def test_queue_serves_higher_priority_first(engine: LocalEngine) -> None:
    folder, volumes = _shared(engine, "queue")
    log, gates = folder / "log", [folder / f"gate{i}" for i in range(3)]
    sync = {"mutexes": [{"name": "queue"}]}
    holder = engine.submit(workflow("main", _gated("main", "gate0", "holder"), synchronization=sync, volumes=volumes))
    engine.until(holder, lambda d: log.exists())
    low = engine.submit(workflow("main", _gated("main", "gate1", "low"), synchronization=sync, volumes=volumes))
    engine.until(low, lambda d: _phase(d) == "Pending")
    high = engine.submit(
        workflow("main", _gated("main", "gate2", "high"), synchronization=sync, volumes=volumes, priority=5)
    )
    engine.until(high, lambda d: _phase(d) == "Pending")
    gates[0].touch()
    engine.until(high, lambda d: "high start" in log.read_text())
    assert _phase(engine.store.get("Workflow", "argo", low["metadata"]["name"])) == "Pending"
    gates[2].touch()
    gates[1].touch()
    assert [_phase(engine.wait(w)) for w in (holder, high, low)] == ["Succeeded"] * 3
    assert [line.split()[0] for line in log.read_text().split("\n") if line.endswith("start")] == [
        "holder",
        "high",
        "low",
    ]


def test_invalid_locks_fail_with_the_reason_and_the_fix(engine: LocalEngine) -> None:
    legacy = engine.wait(engine.submit(workflow("main", sh("main", "true"), synchronization={"mutex": {"name": "x"}})))
    assert _phase(legacy) == "Failed"
    assert legacy["status"]["message"].startswith("Failed to acquire the synchronization lock.")
    assert "mutexes" in legacy["status"]["message"]
    missing = {"semaphores": [{"configMapKeyRef": {"name": "absent", "key": "n"}}]}
    no_map = engine.wait(engine.submit(workflow("main", sh("main", "true"), synchronization=missing)))
    assert _phase(no_map) == "Failed" and "ConfigMap 'absent' does not exist" in no_map["status"]["message"]
    database = {"mutexes": [{"name": "db", "database": True}]}
    no_db = engine.wait(engine.submit(workflow("main", sh("main", "true"), synchronization=database)))
    assert _phase(no_db) == "Failed" and "lock database" in no_db["status"]["message"]
    bad_template = sh(
        "main", "true", synchronization={"semaphores": [{"configMapKeyRef": {"name": "absent", "key": "k"}}]}
    )
    errored = engine.wait(engine.submit(workflow("main", bad_template)))
    assert _phase(errored) in ("Failed", "Error")
    assert "absent" in errored["status"]["message"]


def test_stopping_a_waiting_workflow_ends_it_and_frees_its_place(engine: LocalEngine) -> None:
    folder, volumes = _shared(engine, "stop")
    log, gate = folder / "log", folder / "gate"
    sync = {"mutexes": [{"name": "stop"}]}
    holder = engine.submit(workflow("main", _gated("main", "gate", "holder"), synchronization=sync, volumes=volumes))
    engine.until(holder, lambda d: log.exists())
    waiter = engine.submit(workflow("main", _gated("main", "gate", "waiter"), synchronization=sync, volumes=volumes))
    engine.until(waiter, lambda d: _phase(d) == "Pending")

    def stop(doc: Doc) -> Doc:
        doc["spec"]["shutdown"] = "Stop"
        return doc

    engine.store.mutate("Workflow", "argo", waiter["metadata"]["name"], stop)
    stopped = engine.wait(waiter)
    assert _phase(stopped) == "Failed" and stopped["status"]["message"] == "Stopped with strategy 'Stop'"
    gate.touch()
    assert _phase(engine.wait(holder)) == "Succeeded"
    assert "waiter start" not in log.read_text()


def test_template_mutex_runs_two_parallel_steps_one_after_the_other(engine: LocalEngine) -> None:
    folder, volumes = _shared(engine, "template-mutex")
    log, gate = folder / "log", folder / "gate"
    work = _gated("work", "gate", "{{inputs.parameters.who}}")
    work["inputs"] = {"parameters": [{"name": "who"}]}
    work["synchronization"] = {"mutexes": [{"name": "one-at-a-time"}]}
    args = [{"name": "who", "value": "{{item}}"}]
    main = {"name": "main", "steps": [[{"name": "s", "template": "work", "arguments": {"parameters": args}}]]}
    main["steps"][0][0]["withItems"] = ["x", "y"]
    wf = engine.submit(workflow("main", main, work, volumes=volumes))

    def one_waits(doc: Doc) -> bool:
        nodes = (doc.get("status") or {}).get("nodes") or {}
        return any((n.get("synchronizationStatus") or {}).get("waiting") for n in nodes.values())

    waiting = engine.until(wf, lambda d: one_waits(d) and log.exists() and "start" in log.read_text())
    pending = [n for n in waiting["status"]["nodes"].values() if n.get("synchronizationStatus")]
    assert [n["phase"] for n in pending] == ["Pending"]
    assert pending[0]["message"] == "Waiting for argo/Mutex/one-at-a-time lock. Lock status: 0/1"
    assert log.read_text().count("start") == 1
    gate.touch()
    assert _phase(engine.wait(wf)) == "Succeeded"
    lines = log.read_text().split()
    first, second = lines[0], "y" if lines[0] == "x" else "x"
    assert log.read_text().split("\n")[:4] == [f"{first} start", f"{first} end", f"{second} start", f"{second} end"]


def _limit_map(engine: LocalEngine, name: str, limit: int) -> dict[str, Any]:
    apply_config_map(engine, name, {"n": str(limit)})
    return {"semaphores": [{"configMapKeyRef": {"name": name, "key": "n"}}]}


def _wait(check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll `check` until it holds (AssertionError after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _started(log: Path, label: str) -> bool:
    return log.exists() and f"{label} start" in log.read_text()


def test_workflow_semaphore_limits_how_many_workflows_run(engine: LocalEngine) -> None:
    folder, volumes = _shared(engine, "wf-semaphore")
    log = folder / "log"
    sync = _limit_map(engine, "wf-limit", 2)
    wfs = [
        engine.submit(workflow("main", _gated("main", f"gate{i}", f"w{i}"), synchronization=sync, volumes=volumes))
        for i in range(3)
    ]
    # created within one second, the three tie in the queue (priority, then creation time, to the second):
    # which two run first is Argo's queue order, not the order of submission
    _wait(lambda: sum(_started(log, f"w{i}") for i in range(3)) == 2)
    [waiting] = [i for i in range(3) if not _started(log, f"w{i}")]
    first = next(i for i in range(3) if i != waiting)
    third = engine.until(wfs[waiting], lambda d: "Waiting for" in str((d.get("status") or {}).get("message", "")))
    assert _phase(third) == "Pending"
    assert third["status"]["message"] == "Waiting for argo/ConfigMap/wf-limit/n lock. Lock status: 0/2"
    (folder / f"gate{first}").touch()
    engine.until(wfs[waiting], lambda d: _started(log, f"w{waiting}"))
    second = next(i for i in range(3) if i not in (waiting, first))
    assert _phase(engine.store.get("Workflow", "argo", wfs[second]["metadata"]["name"])) == "Running"
    for i in (second, waiting):
        (folder / f"gate{i}").touch()
    assert [_phase(engine.wait(w)) for w in wfs] == ["Succeeded"] * 3


def test_a_raised_configmap_limit_lets_a_waiting_workflow_start(engine: LocalEngine) -> None:
    folder, volumes = _shared(engine, "wf-raise")
    log, gate = folder / "log", folder / "gate"
    sync = _limit_map(engine, "raise-limit", 1)
    first = engine.submit(workflow("main", _gated("main", "gate", "first"), synchronization=sync, volumes=volumes))
    engine.until(first, lambda d: _started(log, "first"))
    second = engine.submit(workflow("main", _gated("main", "gate", "second"), synchronization=sync, volumes=volumes))
    waiting = engine.until(second, lambda d: "Waiting for" in str((d.get("status") or {}).get("message", "")))
    assert waiting["status"]["message"] == "Waiting for argo/ConfigMap/raise-limit/n lock. Lock status: 0/1"
    _limit_map(engine, "raise-limit", 2)
    engine.until(second, lambda d: _started(log, "second"))
    assert "end" not in log.read_text()  # the first still holds its place: the raised limit made room
    gate.touch()
    assert [_phase(engine.wait(w)) for w in (first, second)] == ["Succeeded"] * 2
