"""`sluice events list/show` read the journal through the API of the stack in SLUICE_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import events
from sluicegate.api import ApiServer
from sluicegate.cli import main
from sluicegate.eventing import EventsPart
from sluicegate.part import StackContext
from tests.events.conftest import Runtime, make_context, post_github, push_payload, wait_processed


def test_events_list_and_show_print_outcomes(sluice_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = make_context(sluice_home)
    ctx = StackContext(made.settings.model_copy(update={"api_port": 0}), made.store, made.secrets, token="t")
    part = EventsPart(port_map={events.GITHUB_PORT: 0, events.MLFLOW_PORT: 0, events.OUTCOME_PORT: 0}, relay=False)
    api = ApiServer()
    api.attach([part])
    part.start(ctx)
    url = api.start(ctx)["api"]
    (sluice_home / "endpoints.json").write_text(json.dumps({"api": url, "mlflow": "http://127.0.0.1:1"}))
    (sluice_home / "token").write_text(ctx.token)
    try:
        post_github(part.url_of("github", "push"), push_payload(), delivery="cli-1")
        post_github(part.url_of("github", "push"), {"zen": "z"}, event="ping", delivery="cli-2")
        wait_processed(Runtime(part, ctx))
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
    finally:
        api.stop()
        part.stop()
        ctx.store.close()


def test_events_list_without_a_stack_says_how_to_start_one(
    sluice_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["events", "list"])
    assert done.value.code == 1
    assert "sluice up" in capsys.readouterr().err
