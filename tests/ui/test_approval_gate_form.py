"""An approval gate's form on the workflow page: supplied values reach the next step, a refused one changes nothing.

The form is filled in headless Chromium over a UI whose store a real controller runs; the refusals are posted
over HTTP to a UI over a seeded store, with no controller (nothing could resume the step behind the test's back).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluicegate.engine.testing import LocalEngine
from tests.ui.conftest import TOKEN, UiStack, serve_ui

APPROVE: dict[str, Any] = {
    "name": "approve",
    "suspend": {},
    "inputs": {
        "parameters": [
            {"name": "approve", "default": "NO", "enum": ["YES", "NO"], "description": "YES ships the model"}
        ]
    },
    "outputs": {
        "parameters": [
            {"name": "approve", "valueFrom": {"supplied": {}}},
            {"name": "reason", "valueFrom": {"supplied": {}, "default": "none given"}},
        ]
    },
}


def _gate_workflow() -> dict[str, Any]:
    args = [{"name": n, "value": f"{{{{steps.approve.outputs.parameters.{n}}}}}"} for n in ("approve", "reason")]
    release = {
        "name": "release",
        "inputs": {"parameters": [{"name": "approve"}, {"name": "reason"}]},
        "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.approve}}"]},
    }
    main = {
        "name": "main",
        "steps": [
            [{"name": "approve", "template": "approve"}],
            [{"name": "release", "template": "release", "arguments": {"parameters": args}}],
        ],
    }
    return {
        "metadata": {"generateName": "gate-", "namespace": "sluicegate"},
        "spec": {"entrypoint": "main", "templates": [main, APPROVE, release]},
    }


def _by_step(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["displayName"]: n for n in ((doc.get("status") or {}).get("nodes") or {}).values()}


def _waiting(doc: dict[str, Any]) -> bool:
    return _by_step(doc).get("approve", {}).get("phase") == "Running"


def test_values_supplied_in_the_form_reach_the_next_step(tmp_path: Path, browser: Any) -> None:
    with LocalEngine(tmp_path) as engine, serve_ui(tmp_path, engine.store) as stack:
        doc = engine.submit(_gate_workflow())
        engine.until(doc, _waiting)
        name = doc["metadata"]["name"]
        page = browser.new_page()
        page.goto(f"{stack.url}/ui/login?token={TOKEN}&next=/ui/workflows/sluicegate/{name}")
        gate = page.locator("form.gate")
        assert gate.locator("select[name='param.approve']").input_value() == "NO"  # the default, prefilled
        assert gate.locator(".description").inner_text() == "YES ships the model"
        assert gate.locator("input[name='param.reason']").input_value() == "none given"
        gate.locator("select[name='param.approve']").select_option("YES")
        gate.locator("input[name='param.reason']").fill("metrics look good")
        # a change of the workflow swaps the page's live part: what was typed stays
        page.wait_for_function("document.body.dataset.liveOpen === '1'")
        swaps = page.evaluate("Number(document.body.dataset.updates || 0)")
        engine.store.mutate("Workflow", "sluicegate", name, _annotated)
        page.wait_for_function(f"Number(document.body.dataset.updates || 0) > {swaps}")
        assert gate.locator("input[name='param.reason']").input_value() == "metrics look good"
        gate.locator("button[data-verb=supply]").click()
        assert page.locator("#notice.ok").inner_text() == (
            f"workflow {name} resumed with approve=YES, reason=metrics look good"
        )
        done = engine.wait(doc)
        page.reload()  # (a change made before the reloaded page's stream opened would not reach it)
        assert page.locator("h1 .phase").inner_text() == done["status"]["phase"] == "Succeeded"
        assert page.locator("form.gate").count() == 0
        page.close()
        release = _by_step(done)["release"]
        assert {p["name"]: p["value"] for p in release["inputs"]["parameters"]} == {
            "approve": "YES",
            "reason": "metrics look good",
        }


def _annotated(doc: dict[str, Any]) -> dict[str, Any]:
    doc["metadata"].setdefault("annotations", {})["touched"] = "yes"
    return doc


@pytest.fixture(scope="module")
def waiting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiStack]:
    """A UI over a seeded store holding `waiting`, a workflow stopped at the gate (no controller runs)."""
    with serve_ui(tmp_path_factory.mktemp("ui-gate")) as stack:
        node = {
            "id": "waiting-1",
            "name": "waiting.approve",
            "displayName": "approve",
            "type": "Suspend",
            "phase": "Running",
            "templateName": "approve",
            "inputs": {"parameters": [{**APPROVE["inputs"]["parameters"][0], "value": "NO"}]},
            "outputs": {
                "parameters": [
                    {"name": "approve", "valueFrom": {"supplied": {}, "default": "NO"}},
                    {"name": "reason", "valueFrom": {"supplied": {}, "default": "none given"}},
                ]
            },
        }
        stack.store.create(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {"name": "waiting", "namespace": "sluicegate"},
                "spec": {},
                "status": {"phase": "Running", "nodes": {"waiting-1": node}},
            }
        )
        yield stack


def test_a_refused_value_shows_why_keeps_the_values_and_changes_nothing(waiting: UiStack) -> None:
    before = waiting.store.get("Workflow", "sluicegate", "waiting")["metadata"]["resourceVersion"]
    with httpx.Client(base_url=waiting.url, follow_redirects=False, timeout=30) as client:
        assert client.get(f"/ui/login?token={TOKEN}").status_code == 303
        match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/ui/workflows/sluicegate/waiting").text)
        assert match
        path, own = "/ui/workflows/sluicegate/waiting/actions/supply", {"origin": waiting.url}
        form = {"csrf": match.group(1), "node": "waiting-1", "param.approve": "MAYBE", "param.reason": "ship it"}
        outside = client.post(path, data=form, headers=own)
        assert outside.status_code == 422
        assert "value &#39;MAYBE&#39; for output parameter &#39;approve&#39; is not in enum" in outside.text
        assert 'name="param.reason" value="ship it"' in outside.text  # what was typed is shown again
        unknown = client.post(path, data={**form, "param.approve": "YES", "param.nope": "x"}, headers=own)
        assert unknown.status_code == 422
        assert "node is not expecting output parameter &#39;nope&#39;" in unknown.text
        partial = client.post(
            path, data={"csrf": form["csrf"], "node": "waiting-1", "param.approve": "YES"}, headers=own
        )
        assert partial.status_code == 422 and "no value for output parameter &#39;reason&#39;" in partial.text
        assert (
            client.post(path, data={**form, "csrf": "forged", "param.approve": "YES"}, headers=own).status_code == 403
        )
        huge = client.post(path, data={**form, "param.reason": "x" * 70_000}, headers=own)
        assert huge.status_code == 413
    after = waiting.store.get("Workflow", "sluicegate", "waiting")
    assert after["metadata"]["resourceVersion"] == before  # nothing set, nothing resumed
    assert after["status"]["nodes"]["waiting-1"]["phase"] == "Running"
