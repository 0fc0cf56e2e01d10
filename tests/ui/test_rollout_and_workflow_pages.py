"""What the rollout, workflow, events and status pages show, in headless Chromium.

Rollout: analysis measurements as charts against their thresholds, canary steps as a readable list with the
current one marked, model versions linked to MLflow and to the workflow that built them. Workflow: durations
and outputs per node, links to the MLflow run, the model version and the Rollout. Events: rows open the
event, which says why it started nothing. Status and events: the ports really bound.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TOKEN = "ui-test-token"  # the token the ui_stack fixture's stack uses

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _signed_in(browser: Any, url: str, path: str) -> Any:
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{url}/ui/login?token={TOKEN}&next={path}")
    return page


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    """Screenshots go to docs/screenshots when SLUICE_UPDATE_SCREENSHOTS=1, else to the test's temp dir."""
    target = DOCS if os.environ.get("SLUICE_UPDATE_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def test_rollout_page_charts_measurements_against_the_threshold(ui_server: str, browser: Any, tmp_path: Path) -> None:
    page = _signed_in(browser, ui_server, "/ui/rollouts/sluicegate/breast-cancer")
    chart = page.locator("section.analysis[data-run=breast-cancer-2-1] svg.chart[data-metric=success-rate]")
    assert chart.locator("line.threshold").get_attribute("data-threshold") == "0.99"
    points = chart.locator("circle")
    assert points.count() == 3
    assert [points.nth(i).get_attribute("data-value") for i in range(3)] == ["", "0.998", "1"]  # NaN: hollow
    assert [points.nth(i).get_attribute("data-phase") for i in range(3)] == ["Inconclusive", "Successful", "Successful"]
    # the NaN point sits on the floor, below both numbers; 1 is drawn above 0.998
    ys = [float(points.nth(i).get_attribute("cy") or 0) for i in range(3)]
    assert ys[0] > ys[1] > ys[2]
    assert "pass ≥ 0.99" in page.locator("div.metric[data-metric=success-rate]").inner_text()
    assert page.locator("script[src], link[rel=stylesheet]").count() == 0  # nothing fetched from elsewhere
    _shot(page, "rollout", tmp_path)
    page.close()


def test_rollout_steps_read_as_a_list_with_the_current_step_marked(ui_server: str, browser: Any) -> None:
    page = _signed_in(browser, ui_server, "/ui/rollouts/sluicegate/breast-cancer")
    steps = page.locator("#steps li")
    assert steps.all_inner_texts() == ["setWeight 10%", "analysis success-rate", "setWeight 50%"]
    assert page.locator("#steps li.done").all_inner_texts() == ["setWeight 10%"]
    assert page.locator("#steps li[aria-current=step]").inner_text() == "analysis success-rate"
    assert "{" not in page.locator("#steps").inner_text()  # no raw JSON
    page.close()


def test_rollout_models_link_to_mlflow_and_the_workflow_that_built_them(ui_server: str, browser: Any) -> None:
    page = _signed_in(browser, ui_server, "/ui/rollouts/sluicegate/breast-cancer")
    canary = page.locator("#models tr[data-role=canary]")
    assert canary.locator("a.mlflow").get_attribute("href") == "http://127.0.0.1:5999/#/models/breast-cancer/versions/2"
    assert page.locator("#models tr[data-role=stable] a.mlflow").get_attribute("href") == (
        "http://127.0.0.1:5999/#/models/breast-cancer/versions/1"
    )
    # the revision each model is served as (what `sluice rollout undo --to-revision` takes; MLflow's version tag
    # argo.rollout.revision says the same from the other side): the newest one of a model rolled out twice
    assert canary.locator(".revision").inner_text() == "revision 4"
    assert page.locator("#models tr[data-role=stable] .revision").inner_text() == "revision 3"
    canary.locator("a.workflow").click()
    page.wait_for_url("**/ui/workflows/sluicegate/model-pipeline-abcde")
    assert page.locator("#links a.rollout").get_attribute("href") == "/ui/rollouts/sluicegate/breast-cancer"
    page.close()


def test_workflow_page_shows_durations_outputs_and_links(ui_server: str, browser: Any) -> None:
    page = _signed_in(browser, ui_server, "/ui/workflows/sluicegate/model-pipeline-abcde")
    assert page.locator("#duration").inner_text() == "took 1m 12s"
    train = page.locator("#nodes tr[data-node=model-pipeline-abcde-1]")
    assert train.locator("td.duration").inner_text() == "1m 05s"
    assert train.locator("[data-output=model-version]").inner_text() == "2"
    evaluate = page.locator("#nodes tr[data-node=model-pipeline-abcde-2]")
    assert evaluate.locator("[data-output=decision]").inner_text() == "reject"
    assert page.locator("#links a.mlflow-run").get_attribute("href") == "http://127.0.0.1:5999/#/runs/0123456789abcdef"
    assert page.locator("#links a.model").get_attribute("href") == (
        "http://127.0.0.1:5999/#/models/breast-cancer/versions/2"
    )
    page.goto(f"{ui_server}/ui/workflows")
    assert page.locator("#workflows tr[data-name=model-pipeline-abcde] td.duration").inner_text() == "1m 12s"
    page.close()


def test_event_rows_open_the_event_with_why_nothing_started(ui_server: str, browser: Any) -> None:
    page = _signed_in(browser, ui_server, "/ui/events")
    row = page.locator("#events tr[data-name=github-push-d1]")
    assert "no Sensor depends on github/push" in row.inner_text()
    row.locator("td").first.click()  # the whole row is the link
    page.wait_for_url("**/ui/events/sluicegate/github-push-d1")
    assert page.locator("#reason").inner_text() == "Why nothing started: no Sensor depends on github/push"
    assert "No trigger fired." in page.locator("#triggers").inner_text()
    page.close()


def test_events_and_status_show_the_ports_really_bound(ui_server: str, browser: Any) -> None:
    page = _signed_in(browser, ui_server, "/ui/events")
    sources = page.locator("#eventsources tr[data-name=github]")
    assert sources.locator("code.bound").inner_text() == "http://127.0.0.1:41234/push"
    assert "declared :12000/push, remapped" in sources.locator(".remapped").inner_text()
    page.goto(f"{ui_server}/ui/status")
    row = page.locator("#endpoints tr[data-name='eventsources/github']")
    assert "41234" in row.inner_text()
    assert "5999 (configured 5000, remapped)" in page.locator("#endpoints tr[data-name=mlflow]").inner_text()
    page.close()


def _nested(store: Any) -> None:
    """A pipeline whose `deploy` task is a DAG of its own, and eight parallel tasks to make it wide."""
    wf = "nested-pipeline"

    def node(suffix: str, name: str, typ: str, children: list[str], boundary: str) -> dict[str, Any]:
        nid = f"{wf}-{suffix}" if suffix else wf
        doc = {"id": nid, "name": f"{wf}.{name}", "displayName": name, "type": typ, "phase": "Succeeded"}
        return {**doc, "children": [f"{wf}-{c}" for c in children], **({"boundaryID": boundary} if boundary else {})}

    fan = [node(f"f{i}", f"shard-{i}", "Pod", ["d"], wf) for i in range(8)]
    nodes = [
        node("", wf, "DAG", ["t"], ""),
        node("t", "train", "Pod", [f"f{i}" for i in range(8)], wf),
        *fan,
        node("d", "deploy", "DAG", ["a"], wf),
        node("a", "apply", "Pod", ["h"], f"{wf}-d"),
        node("h", "healthy", "Pod", ["n"], f"{wf}-d"),
        node("n", "notify", "Pod", [], wf),
    ]
    store.create({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": wf, "namespace": "sluicegate"}, "spec": {},
        "status": {"phase": "Succeeded", "nodes": {n["id"]: n for n in nodes}},
    })  # fmt: skip


def _box(locator: Any) -> tuple[float, float, float, float]:
    b = locator.bounding_box()
    return b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"]


def test_nested_dag_is_drawn_nested_and_fits_the_window(ui_stack: Any, browser: Any) -> None:
    _nested(ui_stack.store)
    page = _signed_in(browser, ui_stack.url, "/ui/workflows/sluicegate/nested-pipeline")
    deploy = _box(page.locator("#dag [data-group=nested-pipeline-d] rect.group"))
    for inner in ("nested-pipeline-a", "nested-pipeline-h"):
        x1, y1, x2, y2 = _box(page.locator(f"#dag [data-node={inner}] rect"))
        assert deploy[0] < x1 and deploy[1] < y1 and x2 < deploy[2] and y2 < deploy[3], inner
    for outer in ("nested-pipeline-t", "nested-pipeline-n", "nested-pipeline-f0"):
        x1, _, x2, _ = _box(page.locator(f"#dag [data-node={outer}] rect"))
        assert x2 < deploy[0] or x1 > deploy[2], outer  # outside the frame, before or after it
    train, notify = (_box(page.locator(f"#dag [data-node=nested-pipeline-{s}] rect")) for s in ("t", "n"))
    assert train[2] < deploy[0] < deploy[2] < notify[0]  # train -> deploy -> notify, left to right
    svg = _box(page.locator("#dag svg"))
    assert svg[2] <= page.viewport_size["width"]  # scaled to the window, no sideways scrolling
    page.close()
