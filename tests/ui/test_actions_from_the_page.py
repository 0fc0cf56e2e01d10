"""The UI's buttons act (Promote, Abort, Retry, Stop, Resume...), show the outcome, and refuse forged requests.

Clicked in headless Chromium against a UI over its own seeded store; the store then holds what the same
verb of the API does. Forged posts (no CSRF token, another session's token, a foreign Origin, no sign-in)
are refused before anything changes. Pages update from the change stream without reloading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.ui.conftest import TOKEN, UiStack, serve_ui


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiStack]:
    with serve_ui(tmp_path_factory.mktemp("ui-actions")) as s:
        s.store.create(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {"name": "long-run", "namespace": "sluicegate"},
                "spec": {"suspend": True},
                "status": {
                    "phase": "Running",
                    "startedAt": "2026-11-22T01:00:00Z",
                    "nodes": {
                        "long-run": {
                            "id": "long-run",
                            "name": "long-run",
                            "type": "Pod",
                            "phase": "Running",
                            "startedAt": "2026-11-22T01:00:00Z",
                        }
                    },
                },
            }
        )
        yield s


def _page(browser: Any, stack: UiStack, path: str) -> Any:
    page = browser.new_page()
    page.goto(f"{stack.url}/ui/login?token={TOKEN}&next={path}")
    return page


def _status(stack: UiStack, kind: str, name: str) -> dict[str, Any]:
    return stack.store.get(kind, "sluicegate", name).get("status") or {}


def test_promote_then_abort_then_retry_a_rollout_from_its_page(stack: UiStack, browser: Any) -> None:
    page = _page(browser, stack, "/ui/rollouts/sluicegate/breast-cancer")
    assert page.locator("button[data-verb=retry]").is_disabled()  # not aborted
    page.click("button[data-verb=promote]")
    assert page.locator("#notice.ok").inner_text() == "Rollout breast-cancer promoted"
    assert _status(stack, "Rollout", "breast-cancer")["currentStepIndex"] == 2  # the analysis step was skipped
    page.click("button[data-verb=abort]")
    assert page.locator("#notice.ok").inner_text() == "Rollout breast-cancer aborted"
    assert _status(stack, "Rollout", "breast-cancer")["abort"] is True
    assert page.locator("button[data-verb=promote]").is_disabled()
    page.click("button[data-verb=retry]")
    assert page.locator("#notice.ok").inner_text() == "Rollout breast-cancer retried"
    status = _status(stack, "Rollout", "breast-cancer")
    assert status["abort"] is False and status["currentStepIndex"] == 0
    page.reload()
    assert page.locator("#notice").count() == 0  # shown once
    page.close()


def test_a_refused_action_shows_the_reason(stack: UiStack, browser: Any) -> None:
    stack.store.mutate("Rollout", "sluicegate", "iris", lambda d: {**d, "status": {"phase": "Healthy"}})
    page = _page(browser, stack, "/ui/rollouts/sluicegate/iris")
    assert page.locator("button[data-verb=promote]").is_disabled()
    # a page left open while the state changed: the server decides, and says why
    page.eval_on_selector("button[data-verb=promote]", "b => b.disabled = false")
    page.click("button[data-verb=promote]")
    assert page.locator("#notice.error").inner_text() == (
        'promote Rollout iris failed: Rollout "iris" has no update in progress; nothing to do'
    )
    page.close()


def test_stop_resume_and_retry_a_workflow_from_its_page(stack: UiStack, browser: Any) -> None:
    page = _page(browser, stack, "/ui/workflows/sluicegate/long-run")
    assert page.locator("button[data-verb=retry]").is_disabled()  # it has not failed
    page.click("button[data-verb=resume]")
    assert page.locator("#notice.ok").inner_text() == "workflow long-run resumed"
    assert not stack.store.get("Workflow", "sluicegate", "long-run")["spec"].get("suspend")
    page.click("button[data-verb=stop]")
    assert page.locator("#notice.ok").inner_text() == "workflow long-run stopped"
    assert stack.store.get("Workflow", "sluicegate", "long-run")["spec"]["shutdown"] == "Stop"
    page.goto(f"{stack.url}/ui/workflows/sluicegate/model-pipeline-abcde")
    page.click("button[data-verb=retry]")
    assert page.locator("#notice.ok").inner_text() == "workflow model-pipeline-abcde retried"
    assert _status(stack, "Workflow", "model-pipeline-abcde")["phase"] == "Running"
    page.close()


def _signed_in_client(stack: UiStack) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=stack.url, follow_redirects=False, timeout=30)
    assert client.get(f"/ui/login?token={TOKEN}").status_code == 303
    page = client.get("/ui/rollouts/sluicegate/breast-cancer").text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match
    return client, match.group(1)


def test_forged_posts_are_refused_and_change_nothing(stack: UiStack) -> None:
    before = stack.store.get("Rollout", "sluicegate", "breast-cancer")["metadata"]["resourceVersion"]
    path = "/ui/rollouts/sluicegate/breast-cancer/actions/abort"
    client, csrf = _signed_in_client(stack)
    own = {"origin": stack.url}
    try:
        no_token = client.post(path, data={}, headers=own)
        assert no_token.status_code == 403 and "CSRF" in no_token.text
        foreign = client.post(path, data={"csrf": csrf}, headers={"origin": "http://evil.example"})
        assert foreign.status_code == 403 and "cross-origin" in foreign.text
        no_origin = client.post(path, data={"csrf": csrf})
        assert no_origin.status_code == 403
        other, other_csrf = _signed_in_client(stack)  # another session's token is not this one's
        other.close()
        assert other_csrf != csrf
        assert client.post(path, data={"csrf": other_csrf}, headers=own).status_code == 403
        unknown = client.post("/ui/rollouts/sluicegate/breast-cancer/actions/delete", data={"csrf": csrf}, headers=own)
        assert unknown.status_code == 404
    finally:
        client.close()
    with httpx.Client(base_url=stack.url, follow_redirects=False, timeout=30) as anonymous:
        r = anonymous.post(path, data={"csrf": csrf}, headers=own)
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login")
    assert stack.store.get("Rollout", "sluicegate", "breast-cancer")["metadata"]["resourceVersion"] == before


def test_session_cookies_are_httponly_and_samesite_strict(stack: UiStack) -> None:
    with httpx.Client(base_url=stack.url, follow_redirects=False, timeout=30) as client:
        r = client.get(f"/ui/login?token={TOKEN}")
        cookies = r.headers.get_list("set-cookie")
        assert len(cookies) == 2  # the sign-in and the CSRF secret
        for cookie in cookies:
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie


def test_workflow_page_updates_live_without_reloading(stack: UiStack, browser: Any) -> None:
    page = _page(browser, stack, "/ui/workflows/sluicegate/long-run")
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    page.wait_for_function("document.body.dataset.liveOpen === '1'")
    page.evaluate("window.__same_document = true")

    def finish(doc: dict[str, Any]) -> dict[str, Any]:
        doc["status"]["nodes"]["long-run"].update(phase="Succeeded", finishedAt="2026-11-22T01:00:09Z")
        doc["status"].update(phase="Succeeded", finishedAt="2026-11-22T01:00:09Z")
        return doc

    stack.store.mutate("Workflow", "sluicegate", "long-run", finish)
    page.wait_for_function("document.querySelector('h1 .phase').textContent === 'Succeeded'")
    assert page.evaluate("window.__same_document") is True  # swapped in place, not reloaded
    assert page.locator("#nodes tr[data-node=long-run] td.duration").inner_text() == "9s"
    page.close()
