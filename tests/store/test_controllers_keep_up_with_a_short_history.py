"""The workflow controller loses nothing when the change feed keeps only a few changes (it re-lists)."""

from __future__ import annotations

import sqlite3

import pytest

from sluicegate.engine.testing import LocalEngine
from sluicegate.store import HISTORY_ENV


def _chain(steps: int) -> dict:
    noop = {"name": "noop", "script": {"image": "python:3.11", "command": ["python"], "source": "print(1)"}}
    return {
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", "steps": [[{"name": f"s{i}", "template": "noop"}] for i in range(steps)]},
                noop,
            ],
        }
    }


def test_workflows_finish_and_the_feed_stays_bounded_with_a_history_of_ten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HISTORY_ENV, "10")
    with LocalEngine() as engine:
        submitted = [engine.submit(_chain(3)) for _ in range(4)]
        done = [engine.wait(doc, timeout=120) for doc in submitted]
        with sqlite3.connect(engine.store.path) as db:
            rows = int(db.execute("SELECT count(*) FROM changes").fetchone()[0])
        head = engine.store.head()
    assert [d["status"]["phase"] for d in done] == ["Succeeded"] * 4
    assert head > 2 * 10  # twice the history went through the feed while the controller watched it
    assert rows <= 11
