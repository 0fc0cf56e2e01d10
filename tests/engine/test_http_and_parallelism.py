"""HTTP templates against a real local server, workflow-level hooks, and parallelism limits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow


class _Handler(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        _Handler.bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        code = 200 if self.path == "/ok" else 503
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b'{"accepted": true}' if code == 200 else b"busy")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _http(name: str, url: str, **extra: object) -> dict[str, object]:
    return {"name": name, "http": {"url": url, "method": "POST", "body": "{{workflow.name}}", **extra}}


def test_http_template_posts_and_reads_body(engine: LocalEngine, server: str) -> None:
    t = _http("call", f"{server}/ok", successCondition="response.statusCode == 200")
    done = engine.wait(engine.submit(workflow("call", t)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert node["type"] == "HTTP"
    assert node["outputs"]["result"] == '{"accepted": true}'
    assert done["metadata"]["name"].encode() in _Handler.bodies


def test_http_template_non_2xx_fails(engine: LocalEngine, server: str) -> None:
    done = engine.wait(engine.submit(workflow("call", _http("call", f"{server}/busy"))))
    assert done["status"]["phase"] == "Failed"
    assert "503" in done["status"]["nodes"][done["metadata"]["name"]]["message"]


def test_workflow_running_hook_fires_once(engine: LocalEngine) -> None:
    hooks = {"running": {"expression": 'workflow.status == "Running"', "template": "note"}}
    wf = workflow("main", sh("main", "sleep 0.3"), sh("note", "echo noted"), hooks=hooks)
    done = engine.wait(engine.submit(wf))
    assert done["status"]["phase"] == "Succeeded"
    name = done["metadata"]["name"]
    assert nodes_by_display(done)[f"{name}.hooks.running"]["outputs"]["result"] == "noted"


@pytest.mark.parametrize("where", ["workflow", "template"])
def test_parallelism_limits_concurrent_steps(engine: LocalEngine, where: str) -> None:
    # each step records how many steps are running while it runs, in a shared volume
    # (a name of its own per step: every sandboxed step is PID 1 of its namespace, so $$ is not unique)
    body = "d=$(mktemp -d /mnt/v/s.XXXXXX); sleep 0.3; ls /mnt/v | wc -l > /tmp/n; rmdir $d"
    step = sh("step", body, outputs={"parameters": [{"name": "n", "valueFrom": {"path": "/tmp/n"}}]})
    step["container"]["volumeMounts"] = [{"name": "v", "mountPath": "/mnt/v"}]
    main: dict[str, object] = {
        "name": "main",
        "steps": [[{"name": "s", "template": "step", "withSequence": {"count": "4"}}]],
    }
    extra: dict[str, object] = {"volumeClaimTemplates": [{"metadata": {"name": "v"}}]}
    if where == "workflow":
        extra["parallelism"] = 2
    else:
        main["parallelism"] = 2
    done = engine.wait(engine.submit(workflow("main", main, step, **extra)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    seen = [int(n["outputs"]["parameters"][0]["value"]) for n in done["status"]["nodes"].values() if n["type"] == "Pod"]
    assert len(seen) == 4 and max(seen) <= 2
