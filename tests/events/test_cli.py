"""`sluice events list/show` read the journal through the API of the stack in SLUICE_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sluicegate.cli import main
from tests.events.conftest import behind_api, post_github, push_payload, wait_processed


def test_events_list_and_show_print_outcomes(sluice_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with behind_api(sluice_home) as rt:
        post_github(rt.url("github", "push"), push_payload(), delivery="cli-1")
        post_github(rt.url("github", "push"), {"zen": "z"}, event="ping", delivery="cli-2")
        wait_processed(rt)
        with pytest.raises(SystemExit) as done:
            main(["events", "list", "--json"])
        assert done.value.code == 0
        listed = json.loads(capsys.readouterr().out)
        assert {d["status"]["phase"] for d in listed} == {"Triggered", "Ignored"}
        with pytest.raises(SystemExit):
            main(["events", "list", "--phase", "Triggered"])
        table = capsys.readouterr().out
        assert "start-project-pipeline: Succeeded" in table and "github/push" in table
        name = next(d["metadata"]["name"] for d in listed if d["status"]["phase"] == "Ignored")
        with pytest.raises(SystemExit):
            main(["events", "show", name])
        assert json.loads(capsys.readouterr().out)["spec"]["data"]["body"]["X-GitHub-Event"] == "ping"


def test_events_list_without_a_stack_says_how_to_start_one(
    sluice_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["events", "list"])
    assert done.value.code == 1
    assert "sluice up" in capsys.readouterr().err
