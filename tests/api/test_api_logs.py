"""Workflow logs in Argo's NDJSON stream format, from the files the controller writes."""

from __future__ import annotations

import json
import threading
import time

from sluicegate.api import pod_name

NS = "sluicegate"


def _workflow_with_node(api, name: str, phase: str) -> str:
    node_id = f"{name}-1234567"
    api.store.create(
        {
            "kind": "Workflow",
            "apiVersion": "argoproj.io/v1alpha1",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "alpine"}}]},
            "status": {
                "phase": phase,
                "nodes": {
                    node_id: {"id": node_id, "name": name, "type": "Pod", "templateName": "main", "phase": phase}
                },
            },
        }
    )
    logs = api.home / "logs" / NS / name
    logs.mkdir(parents=True)
    (logs / f"{node_id}.log").write_text("line one\nline two\n")
    return node_id


def _entries(text: str) -> list[dict]:
    return [json.loads(line)["result"] for line in text.splitlines() if line]


def test_logs_are_ndjson_results_with_argo_pod_names(api) -> None:
    node_id = _workflow_with_node(api, "logs-done", "Succeeded")
    with api.client() as c:
        resp = c.get(f"/api/v1/workflows/{NS}/logs-done/log", params={"logOptions.container": "main"})
    assert resp.status_code == 200
    entries = _entries(resp.text)
    assert [e["content"] for e in entries] == ["line one", "line two"]
    assert {e["podName"] for e in entries} == {pod_name("logs-done", node_id, "main")} == {"logs-done-main-1234567"}


def test_logs_filter_by_pod_name_and_grep(api) -> None:
    node_id = _workflow_with_node(api, "logs-grep", "Succeeded")
    with api.client() as c:
        by_pod = c.get(f"/api/v1/workflows/{NS}/logs-grep/log", params={"podName": "logs-grep-main-1234567"})
        by_node = c.get(f"/api/v1/workflows/{NS}/logs-grep/{node_id}/log", params={"grep": "two"})
        other = c.get(f"/api/v1/workflows/{NS}/logs-grep/log", params={"podName": "logs-grep-x-999"})
    assert len(_entries(by_pod.text)) == 2
    assert [e["content"] for e in _entries(by_node.text)] == ["line two"]
    assert _entries(other.text) == []


def test_logs_follow_streams_until_the_workflow_finishes(api) -> None:
    node_id = _workflow_with_node(api, "logs-follow", "Running")
    log = api.home / "logs" / NS / "logs-follow" / f"{node_id}.log"

    def finish() -> None:
        time.sleep(0.5)
        with log.open("a") as f:
            f.write("line three\n")
        time.sleep(0.5)

        def done(doc: dict) -> dict:
            doc["status"]["phase"] = "Succeeded"
            return doc

        api.store.mutate("Workflow", NS, "logs-follow", done)

    writer = threading.Thread(target=finish)
    writer.start()
    with api.client() as c:
        resp = c.get(f"/api/v1/workflows/{NS}/logs-follow/log", params={"logOptions.follow": "true"})
    writer.join()
    assert [e["content"] for e in _entries(resp.text)] == ["line one", "line two", "line three"]


def test_logs_of_missing_workflow_is_404(api) -> None:
    with api.client() as c:
        resp = c.get(f"/api/v1/workflows/{NS}/nope/log")
    assert resp.status_code == 404


def test_logs_bad_grep_is_400(api) -> None:
    _workflow_with_node(api, "logs-badgrep", "Succeeded")
    with api.client() as c:
        resp = c.get(f"/api/v1/workflows/{NS}/logs-badgrep/log", params={"grep": "("})
    assert resp.status_code == 400


def test_logs_tail_lines_and_limit_bytes_cut_as_kubernetes_does(api) -> None:
    _workflow_with_node(api, "logs-tail", "Succeeded")
    with api.client() as c:
        last = c.get(f"/api/v1/workflows/{NS}/logs-tail/log", params={"logOptions.tailLines": "1"})
        none = c.get(f"/api/v1/workflows/{NS}/logs-tail/log", params={"logOptions.tailLines": "0"})
        short = c.get(f"/api/v1/workflows/{NS}/logs-tail/log", params={"logOptions.limitBytes": "12"})
        bad = c.get(f"/api/v1/workflows/{NS}/logs-tail/log", params={"logOptions.tailLines": "-3"})
    assert [e["content"] for e in _entries(last.text)] == ["line two"]
    assert _entries(none.text) == []
    assert [e["content"] for e in _entries(short.text)] == ["line one"]  # "line one\n" fits 12 bytes, the next not
    assert bad.status_code == 400 and "logOptions.tailLines must be a whole number" in bad.text


def test_log_options_the_stack_cannot_honour_are_refused_not_ignored(api) -> None:
    _workflow_with_node(api, "logs-unsupported", "Succeeded")
    url = f"/api/v1/workflows/{NS}/logs-unsupported/log"
    with api.client() as c:
        stamped = c.get(url, params={"logOptions.timestamps": "true"})
        since = c.get(url, params={"logOptions.sinceSeconds": "60"})
        previous = c.get(url, params={"logOptions.previous": "true"})
        defaults = c.get(url, params={"logOptions.timestamps": "false", "logOptions.previous": "false"})
    assert stamped.status_code == 400 and "logOptions.timestamps=true is not supported" in stamped.text
    assert since.status_code == 400 and "use logOptions.tailLines" in since.text
    assert previous.status_code == 400 and "logOptions.previous" in previous.text
    assert [e["content"] for e in _entries(defaults.text)] == ["line one", "line two"]  # false is Argo's default


def test_logs_of_a_sidecar_are_read_by_its_container_name(api) -> None:
    node_id = _workflow_with_node(api, "logs-sidecar", "Succeeded")
    sidecar = api.home / "logs" / NS / "logs-sidecar" / "containers" / node_id
    sidecar.mkdir(parents=True)
    (sidecar / "web.log").write_text("GET / 200\n")
    with api.client() as c:
        web = c.get(f"/api/v1/workflows/{NS}/logs-sidecar/log", params={"logOptions.container": "web"})
        main = c.get(f"/api/v1/workflows/{NS}/logs-sidecar/log", params={"logOptions.container": "main"})
        other = c.get(f"/api/v1/workflows/{NS}/logs-sidecar/log", params={"logOptions.container": "nope"})
    assert [e["content"] for e in _entries(web.text)] == ["GET / 200"]
    assert {e["podName"] for e in _entries(web.text)} == {pod_name("logs-sidecar", node_id, "main")}
    assert [e["content"] for e in _entries(main.text)] == ["line one", "line two"]
    assert _entries(other.text) == []
