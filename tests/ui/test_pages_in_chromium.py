"""The UI, end to end in headless Chromium: sign-in, workflows, node logs, events, rollouts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

TOKEN = "ui-test-token"  # the token the ui_server fixture's stack uses

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    """Screenshots go to docs/screenshots when SLUICE_UPDATE_SCREENSHOTS=1, else to the test's temp dir."""
    target = DOCS if os.environ.get("SLUICE_UPDATE_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def test_ui_without_token_asks_to_sign_in(ui_server: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{ui_server}/ui/workflows")
    assert "/ui/login" in page.url
    page.fill("input[name=token]", "wrong")
    page.click("button[type=submit]")
    assert "not this stack's token" in page.content()
    page.close()


def test_workflow_list_graph_and_node_logs(ui_server: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(f"{ui_server}/ui/login?token={TOKEN}")
    row = page.locator("#workflows tr[data-name=model-pipeline-abcde]")
    assert row.locator(".phase").inner_text() == "Failed"
    assert "d3adb33fca" in row.inner_text()
    _shot(page, "workflows", tmp_path)
    row.locator("a").click()
    graph = page.locator("#dag svg")
    assert graph.locator("[data-phase=Succeeded]").count() == 1
    assert graph.locator("[data-phase=Failed]").count() == 2  # the DAG root and evaluate
    assert page.locator("a[href$='#/runs/0123456789abcdef']").count() == 1
    _shot(page, "workflow", tmp_path)
    page.locator("#nodes a", has_text="evaluate").click()
    assert "candidate is worse than champion" in page.locator("#log").inner_text()
    assert "min-improvement" in page.locator("#inputs").inner_text()
    page.close()


def test_rollout_page_shows_weight_steps_and_measurements(ui_server: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(f"{ui_server}/ui/login?token={TOKEN}&next=/ui/rollouts")
    row = page.locator("#rollouts tr[data-name=breast-cancer]")
    assert "10%" in row.inner_text() and "models:/breast-cancer/2" in row.inner_text()
    row.locator("a").click()
    assert page.locator("#steps li.current").inner_text() == "analysis success-rate"
    assert "[0.998]" in page.locator("section.analysis").inner_text()
    waiting = page.locator("#waiting").inner_text()
    assert "analysis breast-cancer-2-1 running at step 2/3, 10% to the canary: success-rate = [1]" in waiting
    page.goto(f"{ui_server}/ui/events")
    assert "127.0.0.1:41234/push" in page.locator("#eventsources").inner_text()
    page.close()


def test_chromium_is_debian_build() -> None:
    assert shutil.which("chromium"), "install Debian's chromium (make install does it as root)"


def test_rollout_without_a_first_model_reads_as_waiting_not_failed(ui_server: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{ui_server}/ui/login?token={TOKEN}&next=/ui/rollouts")
    row = page.locator("#rollouts tr[data-name=iris]")
    assert row.locator(".phase").inner_text() == "Progressing"
    assert row.locator(".waiting").inner_text().startswith("waiting for a first model: models:/iris/1")
    row.locator("a").click()
    assert page.locator("#waiting").inner_text().startswith("Waiting: waiting for a first model")
    assert "Degraded" not in page.locator("body").inner_text()
    page.close()
