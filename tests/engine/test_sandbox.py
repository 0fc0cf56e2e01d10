"""Every step runs in a pod-like sandbox: its own root file system, no view of the stack, an unprivileged user."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow


@pytest.fixture(scope="module")
def outside_tmp() -> Iterator[LocalEngine]:
    """An engine whose SLUICE_HOME is not under /tmp (a step's private /tmp would hide it anyway), as by default."""
    base = Path(tempfile.mkdtemp(prefix="sluice-sandbox-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None))
    before = os.environ.pop("SLUICE_SANDBOX", None)  # the default: no setting at all
    try:
        (base / "token").write_text("the-api-token\n")
        (base / "secrets.json").write_text('{"k": "the-secret"}\n')
        with LocalEngine(base, envs=base / "envs") as eng:  # environments outside /tmp too, and its own
            executor = eng.controller._executor
            assert executor is not None
            if not executor.sandbox:
                pytest.skip(f"no sandbox on this machine: {executor.warning}")
            yield eng
    finally:
        if before is not None:
            os.environ["SLUICE_SANDBOX"] = before
        shutil.rmtree(base, ignore_errors=True)


def _run(engine: LocalEngine, *templates: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return engine.wait(engine.submit(workflow(str(templates[0]["name"]), *templates, **spec)))


def test_a_script_that_writes_paths_at_run_time_succeeds_without_touching_the_host(outside_tmp: LocalEngine) -> None:
    marker = f"sluice-sandbox-{os.getpid()}"
    # as Hera's map-outputs-to-inputs example: the script decides its absolute paths only when it runs
    source = (
        "import os\n"
        f"for name in 'abcde':\n    os.makedirs('/{marker}/' + name, exist_ok=True)\n"
        f"    open('/{marker}/' + name + '/out', 'w').write(name)\n"
        "open('/e.txt', 'w').write('written at /e.txt')\n"
    )
    tmpl = {
        "name": "writer",
        "script": {"image": "python:3.11", "command": ["python"], "source": source},
        "outputs": {
            "parameters": [{"name": "e", "valueFrom": {"path": "/e.txt"}}],
            "artifacts": [{"name": "dirs", "path": f"/{marker}"}],
        },
    }
    done = _run(outside_tmp, tmpl)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    pod = next(n for n in done["status"]["nodes"].values() if n["type"] == "Pod")
    assert pod["outputs"]["parameters"][0]["value"] == "written at /e.txt"
    assert not Path(f"/{marker}").exists() and not Path("/e.txt").exists()  # nothing reached the host's root


def test_writes_outside_declared_paths_vanish_with_the_step(outside_tmp: LocalEngine) -> None:
    marker = f"/sluice-leak-{os.getpid()}"
    first = sh("first", f"echo leaked > {marker} && cat {marker}")
    second = sh("second", f"test ! -e {marker} && echo clean")
    main = {"name": "main", "steps": [[{"name": "one", "template": "first"}], [{"name": "two", "template": "second"}]]}
    done = _run(outside_tmp, main, first, second)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert nodes_by_display(done)["two"]["outputs"]["result"] == "clean"
    assert not Path(marker).exists()


def test_a_step_cannot_read_the_stacks_token_secrets_or_store(outside_tmp: LocalEngine) -> None:
    home = outside_tmp.home.resolve()
    probe = (
        f"for f in {home}/token {home}/secrets.json {home}/store.db; do cat $f >/dev/null 2>&1 && echo read $f; done; "
        f"for p in /proc/[0-9]*; do cat $p/root{home}/token 2>/dev/null && echo via $p; done; "
        "cat /proc/1/status | grep -i '^uid' ; ls /proc | grep -c '^[0-9]' ; echo done"
    )
    done = _run(outside_tmp, sh("probe", probe))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    result = nodes_by_display(done)[done["metadata"]["name"]]["outputs"]["result"]
    assert "the-api-token" not in result and "read " not in result and "via " not in result, result
    assert result.endswith("done")
    processes = int(result.splitlines()[-2])
    assert processes <= 4, f"the step sees {processes} processes, not only its own"  # init, sh, ls, grep


def test_a_step_runs_as_an_unprivileged_user_when_the_stack_runs_as_root(outside_tmp: LocalEngine) -> None:
    if os.getuid() != 0:
        pytest.skip("the stack does not run as root here")
    done = _run(outside_tmp, sh("whoami", "id -u; touch /usr/sluice-nope 2>/dev/null && echo wrote-usr; true"))
    result = nodes_by_display(done)[done["metadata"]["name"]]["outputs"]["result"]
    assert result.splitlines()[0] != "0"
    assert "wrote-usr" not in result


def test_volumes_and_declared_outputs_are_where_the_template_says(outside_tmp: LocalEngine) -> None:
    # the folder of an output is the step's to make (as in a pod), the volume's is there
    write = sh("write", "echo hello > /mnt/data/greeting && mkdir /mnt/out && echo out > /mnt/out/result")
    write["container"]["volumeMounts"] = [{"name": "data", "mountPath": "/mnt/data"}]
    write["outputs"] = {"parameters": [{"name": "r", "valueFrom": {"path": "/mnt/out/result"}}]}
    read = sh("read", "cat /mnt/data/greeting")
    read["container"]["volumeMounts"] = [{"name": "data", "mountPath": "/mnt/data"}]
    main = {"name": "main", "steps": [[{"name": "w", "template": "write"}], [{"name": "r", "template": "read"}]]}
    done = _run(outside_tmp, main, write, read, volumeClaimTemplates=[{"metadata": {"name": "data"}}])
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert nodes_by_display(done)["w"]["outputs"]["parameters"][0]["value"] == "out"
    assert nodes_by_display(done)["r"]["outputs"]["result"] == "hello"


def test_a_sandbox_asked_for_but_not_possible_is_said_in_the_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_SANDBOX", "1")
    monkeypatch.setenv("SLUICE_PRIVATE_TMP", "0")
    with LocalEngine(tmp_path) as eng:
        done = eng.wait(eng.submit(workflow("hi", sh("hi", "echo hi"))))
    assert done["status"]["phase"] == "Succeeded"
    node = nodes_by_display(done)[done["metadata"]["name"]]
    assert "not sandboxed" in node["message"] and "SLUICE_PRIVATE_TMP=0" in node["message"]


def test_an_http_input_reads_files_only_inside_the_artifact_roots(engine: LocalEngine) -> None:
    (engine.home / "token").write_text("the-api-token\n")
    (engine.home / "artifacts" / "shared").mkdir(parents=True, exist_ok=True)
    (engine.home / "artifacts" / "shared" / "data.txt").write_text("shared data\n")

    def reader(url: str) -> dict[str, Any]:
        tmpl = sh("read", "cat /tmp/in")
        tmpl["inputs"] = {"artifacts": [{"name": "in", "path": "/tmp/in", "http": {"url": url}}]}
        return engine.wait(engine.submit(workflow("read", tmpl)))

    for url in (f"file://{engine.home}/token", f"file://{engine.home}/artifacts/../token", "ftp://127.0.0.1/x"):
        done = reader(url)
        node = nodes_by_display(done)[done["metadata"]["name"]]
        assert node["phase"] == "Error", node
        assert "the-api-token" not in str(node)
        assert "outside the artifact roots" in node["message"] or "not supported" in node["message"]
    done = reader(f"file://{engine.home}/artifacts/shared/data.txt")
    assert nodes_by_display(done)[done["metadata"]["name"]]["outputs"]["result"] == "shared data"


def test_a_step_may_change_its_input_artifacts_outside_tmp(outside_tmp: LocalEngine) -> None:
    tmpl = sh("edit", "echo more >> /inputs/notes.txt && cat /inputs/notes.txt")
    tmpl["inputs"] = {"artifacts": [{"name": "notes", "path": "/inputs/notes.txt", "raw": {"data": "first\n"}}]}
    done = _run(outside_tmp, tmpl)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert nodes_by_display(done)[done["metadata"]["name"]]["outputs"]["result"] == "first\nmore"


def test_a_step_sees_the_hosts_system_folders_but_not_its_home_folders(outside_tmp: LocalEngine) -> None:
    home = Path.home()
    marker = home / f".sluice-sandbox-marker-{os.getpid()}"
    marker.write_text("the stack user's file\n")
    try:
        probe = f"cat {marker} 2>/dev/null; test -e {marker} && echo seen; test -x /usr/bin/env && echo usr; echo done"
        done = _run(outside_tmp, sh("probe", probe))
    finally:
        marker.unlink()
    result = nodes_by_display(done)[done["metadata"]["name"]]["outputs"]["result"]
    assert result.splitlines() == ["usr", "done"], result


def test_a_volume_under_etc_is_mounted_there_without_touching_the_hosts_etc(outside_tmp: LocalEngine) -> None:
    folder = f"/etc/sluice-sandbox-{os.getpid()}"
    tmpl = sh("conf", f"echo configured > {folder}/app.conf && cat {folder}/app.conf && cat /etc/hostname >/dev/null")
    tmpl["container"]["volumeMounts"] = [{"name": "conf", "mountPath": folder}]
    tmpl["outputs"] = {"parameters": [{"name": "conf", "valueFrom": {"path": f"{folder}/app.conf"}}]}
    done = _run(outside_tmp, tmpl, volumes=[{"name": "conf", "emptyDir": {}}])
    assert done["status"]["phase"] == "Succeeded", done["status"]
    node = nodes_by_display(done)[done["metadata"]["name"]]
    assert node["outputs"]["result"] == "configured"
    assert node["outputs"]["parameters"][0]["value"] == "configured"
    assert not Path(folder).exists()


def test_sluice_sandbox_0_turns_the_sandbox_off_without_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_SANDBOX", "0")
    with LocalEngine(tmp_path) as eng:
        done = eng.wait(eng.submit(workflow("pid", sh("pid", "echo $$"))))
    node = nodes_by_display(done)[done["metadata"]["name"]]
    assert done["status"]["phase"] == "Succeeded"
    assert node["outputs"]["result"] != "1"  # not PID 1 of a namespace of its own
    assert "not sandboxed" not in (node.get("message") or "")


def test_only_the_environment_builder_writes_the_environments_and_it_keeps_no_capability(
    outside_tmp: LocalEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    home = outside_tmp.home.resolve()
    build = sh(
        "build",
        f'touch "$SLUICE_ENVS_DIR/built" && touch "$UV_CACHE_DIR/entry" && echo wrote; '
        f"cat {home}/token 2>/dev/null; grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status",
    )
    build["metadata"] = {"annotations": {"sluicegate.io/builds-environments": "true"}}
    use = sh("use", 'test -e "$SLUICE_ENVS_DIR/built" && echo sees; touch "$SLUICE_ENVS_DIR/x" 2>/dev/null || echo ro')
    main = {"name": "main", "steps": [[{"name": "b", "template": "build"}], [{"name": "u", "template": "use"}]]}
    done = _run(outside_tmp, main, build, use)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    built = nodes_by_display(done)["b"]["outputs"]["result"].splitlines()
    assert built[0] == "wrote" and "the-api-token" not in built
    assert all(line.split()[1] == "0000000000000000" for line in built[1:]), built
    assert (home / "envs" / "built").exists() and (tmp_path / "uv-cache" / "entry").exists()
    assert nodes_by_display(done)["u"]["outputs"]["result"].splitlines() == ["sees", "ro"]
    assert not (home / "envs" / "x").exists()


def test_a_shell_step_stopped_by_its_timeout_ends_by_sigterm_not_by_the_later_sigkill(outside_tmp: LocalEngine) -> None:
    # the kernel ignores SIGTERM to a PID namespace's init that has no handler: the pod's init forwards it to
    # the step, as Argo's emissary does, so the loop ends by SIGTERM (143) rather than SIGKILL after grace (137)
    done = _run(outside_tmp, sh("loop", "while true; do sleep 0.2; done", timeout="1s"))
    node = nodes_by_display(done)[done["metadata"]["name"]]
    assert done["status"]["phase"] == "Failed"
    assert node["outputs"]["exitCode"] == "143", node


def test_the_containers_of_one_pod_all_start_in_the_root_they_share(outside_tmp: LocalEngine) -> None:
    # each container builds the pod's root in a mount namespace of its own; none may fail on what another made
    containers = [
        {"name": f"c{i}", "image": "busybox", "command": ["sh", "-c", "ls /bin >/dev/null"]} for i in range(6)
    ]
    done = _run(outside_tmp, {"name": "set", "containerSet": {"containers": containers}})
    assert done["status"]["phase"] == "Succeeded", done["status"]


def test_a_steps_root_folder_leaves_its_run_folder_and_the_trash_empties(outside_tmp: LocalEngine) -> None:
    done = _run(
        outside_tmp,
        {
            "name": "w",
            "script": {
                "image": "python:3.11",
                "command": ["python"],
                "source": "open('/outside-volumes', 'w').write('x')",
            },
        },
    )
    assert done["status"]["phase"] == "Succeeded", done["status"]
    name = done["metadata"]["name"]
    assert not (outside_tmp.home / "run" / "argo" / name / name / "fs").exists()
    trash = outside_tmp.home / "run" / ".trash"
    outside_tmp.until(done, lambda _: not any(trash.iterdir()), timeout=60)  # removed once no step runs


def test_an_exec_readiness_probe_runs_inside_the_daemons_sandbox_as_its_user(outside_tmp: LocalEngine) -> None:
    if os.getuid() != 0:
        pytest.skip("the stack does not run as root here")
    # /srv-probe/ready exists only in the daemon's own root; its PID namespace holds a handful of processes
    check = 'test -e /srv-probe/ready && test "$(id -u)" = 65534 && test "$(ls -d /proc/[0-9]* | wc -l)" -lt 10'
    server = {
        "name": "server",
        "daemon": True,
        "container": {
            "image": "busybox",
            "command": ["sh", "-c", "mkdir -p /srv-probe && touch /srv-probe/ready && sleep 120"],
            "readinessProbe": {"exec": {"command": ["sh", "-c", check]}, "periodSeconds": 1},
        },
    }
    after = sh("after", "true")
    main = {"name": "main", "steps": [[{"name": "serve", "template": "server"}], [{"name": "a", "template": "after"}]]}
    done = _run(outside_tmp, main, server, after)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    nodes = nodes_by_display(done)
    assert nodes["a"]["phase"] == "Succeeded" and "message" not in nodes["serve"]
    assert not os.path.exists("/srv-probe")
