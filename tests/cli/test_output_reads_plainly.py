"""Small things a new user reads: help without `<bool>`, full event names, a status without Python dicts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from sluicegate.cli._view import endpoint_lines, status_table
from sluicegate.eventing import record_event
from tests.cli.conftest import sluice
from tests.events.conftest import behind_api


@pytest.mark.parametrize(
    "command", [["up"], ["submit"], ["deploy"], ["events", "list"], ["rollout", "promote"], ["render"]]
)
def test_help_shows_flags_without_a_bool_placeholder(command: list[str], tmp_path: Path) -> None:
    out = sluice(*command, "--help", home=tmp_path)
    assert out.returncode == 0 and "Usage" in out.stdout
    assert "<bool>" not in out.stdout and "BOOLEAN" not in out.stdout, out.stdout


def test_events_list_prints_names_whole_so_events_show_can_take_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with behind_api(home) as rt:
        message = "no Sensor dependency matched this event: the body's ref is refs/heads/feature, the filter wants main"
        doc, _ = record_event(
            rt.store, "sluicegate", "git-webhook-with-a-long-name", "push-to-the-models-repository",
            "d-1234567890abcdef", {}, {}, phase="Ignored", message=message,
        )  # fmt: skip
        name = doc["metadata"]["name"]
        assert len(name) > 40
        listed = sluice("events", "list", home=home)
        assert listed.returncode == 0, listed.stderr
        assert name in listed.stdout, listed.stdout
        shown = sluice("events", "show", name, home=home)
        assert shown.returncode == 0 and '"phase": "Ignored"' in shown.stdout


def test_status_details_are_words_not_python_dicts() -> None:
    parts = {
        "rollouts": {"healthy": True, "url": "", "services": {"breast-cancer": "http://127.0.0.1:41234"}, "errors": {}},
        "events": {"healthy": True, "sources": ["git-webhook", "mlflow"], "sensors": 2, "paused": False},
    }
    buf = io.StringIO()
    Console(file=buf, width=200).print(status_table(parts))
    text = buf.getvalue()
    assert "services=(breast-cancer=http://127.0.0.1:41234)" in text
    assert "sources=git-webhook, mlflow" in text and "paused=no" in text
    assert "{" not in text and "'" not in text and "[" not in text


def test_up_prints_endpoint_groups_as_lines_and_an_empty_group_as_none_yet() -> None:
    lines = endpoint_lines(
        {
            "pid": 42,
            "api": "http://127.0.0.1:2746",
            "services": {},
            "eventsources": {"github": "http://127.0.0.1:12000/push", "mlflow": "http://127.0.0.1:12001/mlflow"},
        }
    )
    assert lines == [
        "api: http://127.0.0.1:2746",
        "services: none yet",
        "eventsources:",
        "  github: http://127.0.0.1:12000/push",
        "  mlflow: http://127.0.0.1:12001/mlflow",
    ]
    assert not any("{" in line for line in lines)
