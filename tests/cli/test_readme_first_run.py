"""The README's first run, command by command, as a new user types it: one real stack, offline.

`sluice up --detach` -> `sluice init churn` -> `sluice project connect churn` -> `git -C churn push sluice
main` (the push's webhook makes the `train-on-push` Sensor start `project-pipeline` for the pushed revision)
-> `sluice logs @latest -f` -> `sluice rollout status churn` -> `curl` of the served model with the request
format the README shows. The commands are the README's (read from it, so the two cannot drift), with one
edit a user may make between `init` and the push: `sluicegate.yaml`'s stress test runs 5 s instead of 10 s. The
environment only points them at the session's MLflow (`SLUICE_MLFLOW_TRACKING_URI`, which `sluice up`
reads) and a free API port, so the test shares the machine with others. The README's alternative to a push,
`sluice submit project-pipeline ...`, is only checked to name that template. The test prints how long each
command and each pipeline step took.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
GIT_ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com"}
GIT_ENV |= {"GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com"}


def readme_commands() -> list[str]:
    """The `$ ` commands of the README's first-run section, continuation lines joined, comments dropped."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## First run", 1)[1].split("\n## ", 1)[0]
    commands: list[str] = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        current = ""
        for line in block.splitlines():
            if line.startswith("$ "):
                current = line[2:]
            elif current and line.startswith("    "):
                current += " " + line.strip()
            else:
                continue
            if current.endswith("\\"):
                current = current[:-1].rstrip()
                continue
            commands.append(re.sub(r"\s+#.*$", "", current).strip())
            current = ""
    return commands


def shorten_stress_test(project: Path) -> None:
    """A user's edit before the push: a 5 s stress test (100 requests) instead of 10 s, same rate and gates."""
    config = project / "sluicegate.yaml"
    text = config.read_text()
    assert "duration_seconds: 10," in text, text  # the scaffold's short wait, which the README describes
    config.write_text(text.replace("duration_seconds: 10,", "duration_seconds: 5,"))
    subprocess.run(
        ["git", "-C", str(project), "commit", "-qam", "a shorter stress test"],
        env={**os.environ, **GIT_ENV},
        check=True,
    )


class User:
    """A shell in one folder with `sluice` on PATH, as after `. .venv/bin/activate`."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env, self.times = cwd, env, {}

    def run(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = subprocess.run(
            ["bash", "-c", command], cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        self.times[" ".join(shlex.split(command)[:2])] = time.monotonic() - started
        return done


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory, mlflow_server: str) -> Iterator[User]:
    work = tmp_path_factory.mktemp("first-run")
    (work / "manifests").symlink_to(ROOT / "manifests")  # `sluice up` reads ./manifests, as in the clone
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, **GIT_ENV, "PATH": f"{bin_dir}:{os.environ['PATH']}", "COLUMNS": "200"}
    env |= {"SLUICE_HOME": str(work / ".sluice"), "SLUICE_MLFLOW_TRACKING_URI": mlflow_server, "SLUICE_API_PORT": "0"}
    who = User(work, env)
    try:
        yield who
    finally:
        who.run("sluice down", timeout=120)


@pytest.mark.timeout(2400)
def test_readme_first_run_serves_the_pushed_model(user: User) -> None:
    commands = readme_commands()
    assert [c.split()[:2] for c in commands[:7]] == [
        *(["make", "install"], ["sluice", "up"], ["sluice", "init"], ["sluice", "project"]),
        *(["git", "-C"], ["sluice", "logs"], ["sluice", "rollout"]),
    ]
    up, init, connect, push, logs, status, curl, submit = commands[1:9]
    assert curl.startswith("curl ") and submit.startswith("sluice submit project-pipeline")
    started = time.monotonic()
    for command in (up, init, connect):
        done = user.run(command)
        assert done.returncode == 0, f"{command}: {done.stderr}{done.stdout}"
        if command == init:
            shorten_stress_test(user.cwd / init.split()[-1])
    pushed = user.run(push)
    assert "webhook refs/heads/main: 200" in pushed.stderr, pushed.stderr
    deadline = time.monotonic() + 120  # the push starts it: wait for the workflow to exist before following it
    while user.run("sluice get @latest").returncode != 0 and time.monotonic() < deadline:
        time.sleep(1)
    followed = user.run(logs, timeout=1800)
    assert followed.returncode == 0, followed.stderr
    assert "promote:" in followed.stdout and "gates passed" in followed.stdout, followed.stdout[-3000:]
    got = user.run("sluice get @latest")
    assert "Status:    Succeeded" in got.stdout, got.stdout

    deadline = time.monotonic() + 300
    while True:  # the Rollout reports Healthy once its first version serves
        shown = user.run(status)
        if "Healthy" in shown.stdout or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert re.search(r"Stable:\s+models:/churn/1", shown.stdout), shown.stdout
    url = re.search(r"URL:\s+(http://127\.0\.0\.1:\d+)", shown.stdout)
    assert url, shown.stdout
    answered = user.run(curl.replace("http://127.0.0.1:PORT", url.group(1)))
    predictions = json.loads(answered.stdout)["predictions"]
    assert len(predictions) == 2 and set(predictions) <= {0, 1}, answered.stdout
    print(f"\nREADME first run: {time.monotonic() - started:.0f} s from sluice up to the model's answer")
    print("  " + ", ".join(f"{k}: {v:.0f} s" for k, v in user.times.items()))
    print(got.stdout)
