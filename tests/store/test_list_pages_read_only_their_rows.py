"""Long lists page by key: a page resumes exactly after the last key shown, newest first or by name."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from sluicegate.errors import ManifestError
from sluicegate.store import Store, continue_key, continue_token, list_key
from sluicegate.ui._gather import WORKFLOWS_PER_PAGE, workflow_rows


def _fill(store: Store, count: int) -> None:
    for i in range(count):
        ns = "a" if i % 3 else "b"
        store.create({"kind": "Workflow", "metadata": {"name": f"wf-{i:03d}", "namespace": ns}, "status": {}})


@pytest.mark.parametrize("newest_first", [True, False])
def test_resuming_after_any_key_continues_the_same_order(tmp_path: Path, newest_first: bool) -> None:
    store = Store(tmp_path / "store.db")
    _fill(store, 30)
    whole = list(store.scan("Workflow", None, newest_first, batch=7))
    keys = [list_key(d, newest_first) for d in whole]
    assert keys == sorted(keys, reverse=newest_first) and len(whole) == 30
    for cut in (0, 6, 7, 29):
        rest = list(store.scan("Workflow", None, newest_first, after=keys[cut], batch=4))
        assert [d["metadata"]["name"] for d in rest] == [d["metadata"]["name"] for d in whole[cut + 1 :]]
        assert store.count("Workflow", None, newest_first, keys[cut]) == 29 - cut
    in_b = list(store.scan("Workflow", "b", newest_first, batch=3))
    assert [d["metadata"]["name"] for d in in_b] == [
        d["metadata"]["name"] for d in whole if d["metadata"]["namespace"] == "b"
    ]


def test_a_token_of_the_other_order_or_a_forged_one_is_refused() -> None:
    token = continue_token(["a", "wf-1"])
    assert continue_key(token, newest_first=False) == ["a", "wf-1"]
    for bad in (token, "not-a-token!", continue_token([1, 2, 3])):  # type: ignore[list-item]
        with pytest.raises(ManifestError, match="continue key is not valid"):
            continue_key(bad, newest_first=True)


def test_the_ui_workflow_list_shows_a_page_and_links_to_older_ones(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    _fill(store, WORKFLOWS_PER_PAGE + 5)
    first, older = workflow_rows(store)
    rest, none = workflow_rows(store, older)
    assert len(first) == WORKFLOWS_PER_PAGE and older and len(rest) == 5 and none == ""
    expected = [d["metadata"]["name"] for d in itertools.islice(store.scan("Workflow", None, True), 200)]
    assert [r["name"] for r in first + rest] == expected
