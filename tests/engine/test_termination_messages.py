"""A failed step's node message carries its termination message, as Kubernetes reads it and Argo shows it."""

from __future__ import annotations

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow


def _message(engine: LocalEngine, template: dict[str, object]) -> dict[str, object]:
    done = engine.wait(engine.submit(workflow(str(template["name"]), template)))
    name = done["metadata"]["name"]
    return dict(nodes_by_display(done)[name])


def test_failed_step_message_ends_with_what_it_wrote_to_dev_termination_log(engine: LocalEngine) -> None:
    script = "echo noise; printf 'params.yaml: alpha: not a number\\n' > /dev/termination-log; exit 2"
    node = _message(engine, sh("bad", script))
    assert node["phase"] == "Failed"
    assert node["message"] == "main: Error (exit code 2): params.yaml: alpha: not a number"


def test_termination_message_path_of_the_template_is_the_file_read(engine: LocalEngine) -> None:
    bad = sh("bad", 'echo "broken" > "$WHERE"; exit 1')
    bad["container"]["terminationMessagePath"] = "/var/run/last-words"
    bad["container"]["env"] = [{"name": "WHERE", "value": "/var/run/last-words"}]
    node = _message(engine, bad)
    assert node["message"] == "main: Error (exit code 1): broken"


def test_fallback_to_logs_on_error_takes_the_last_lines_of_the_log(engine: LocalEngine) -> None:
    bad = sh("bad", "exec 2>&1; for i in $(seq 1 100); do echo line $i; done; echo 'Traceback: boom' >&2; exit 3")
    bad["container"]["terminationMessagePolicy"] = "FallbackToLogsOnError"
    message = str(_message(engine, bad)["message"])
    assert message.startswith("main: Error (exit code 3): ")
    said = message.removeprefix("main: Error (exit code 3): ").splitlines()
    assert said[-1] == "Traceback: boom"
    assert len(said) == 80 and said[0] == "line 22"  # kubelet: the last 80 lines (at most 2048 bytes)


def test_fallback_keeps_at_most_2048_bytes_of_the_log(engine: LocalEngine) -> None:
    bad = sh("bad", "for i in $(seq 1 10); do printf '%0500d\\n' $i; done; exit 1")
    bad["container"]["terminationMessagePolicy"] = "FallbackToLogsOnError"
    said = str(_message(engine, bad)["message"]).removeprefix("main: Error (exit code 1): ")
    assert len(said.encode()) <= 2048 and said.endswith("10")


def test_without_fallback_a_silent_failure_has_no_message_but_its_exit_code(engine: LocalEngine) -> None:
    assert _message(engine, sh("bad", "echo lots of logs; exit 4"))["message"] == "main: Error (exit code 4)"


def test_the_file_wins_over_the_logs(engine: LocalEngine) -> None:
    bad = sh("bad", "echo log line; echo 'the reason' > /dev/termination-log; exit 5")
    bad["container"]["terminationMessagePolicy"] = "FallbackToLogsOnError"
    assert _message(engine, bad)["message"] == "main: Error (exit code 5): the reason"


def test_a_succeeded_step_shows_its_termination_message(engine: LocalEngine) -> None:
    node = _message(engine, sh("ok", "echo 'warning: Python 3.9 not found, used 3.11' > /dev/termination-log"))
    assert node["phase"] == "Succeeded"
    assert node["message"] == "warning: Python 3.9 not found, used 3.11"


def test_a_script_step_writes_its_termination_message_too(engine: LocalEngine) -> None:
    script = {
        "name": "py",
        "script": {
            "image": "python:3.12",
            "command": ["python"],
            "source": "import sys\nopen('/dev/termination-log', 'w').write('bad input: x')\nsys.exit(2)\n",
        },
    }
    assert _message(engine, script)["message"] == "main: Error (exit code 2): bad input: x"
