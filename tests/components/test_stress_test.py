"""`stress_test` against a tiny real HTTP server started here: healthy, failing and queueing endpoints."""

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from components._common import load_dataset
from components.stress_test import payloads, percentile, stress_test
from tests.components.conftest import run_component
from tests.serve.modelkit import REQUIREMENTS

SERVICE_TIME = 0.1  # seconds per request on the /serial endpoint


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    calls = 0
    lock = threading.Lock()
    serial = threading.Lock()
    bodies: list[dict] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        with _Handler.lock:
            _Handler.calls += 1
            nth = _Handler.calls
            _Handler.bodies.append(body)
        status = 200
        if self.path.startswith("/fail-half/") and nth % 2 == 0:
            status = 500
        elif self.path.startswith("/serial/"):
            with _Handler.serial:  # one request at a time: a server that queues
                time.sleep(SERVICE_TIME)
        answer = json.dumps({"predictions": [0]}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.send_header("x-model-version", "7")
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.calls = 0
    _Handler.bodies = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_stress_test_healthy_service_passes_gates(server: str, tmp_path: Path) -> None:
    result = stress_test(
        url=f"{server}/ok", rps=50, duration=1, p99_latency_ms=5000, max_error_rate=0.0, outputs_dir=tmp_path
    )
    assert result.passed
    report = json.loads((tmp_path / "report").read_text())
    assert report["requests"] == 50 and report["outcomes"] == {"200": 50} and report["error_rate"] == 0.0
    assert report["url"] == f"{server}/ok/invocations" and report["answered_by"] == {"7": 50}
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"] <= report["max_ms"]
    body = _Handler.bodies[0]["dataframe_split"]
    assert body["columns"] == list(load_dataset("breast_cancer").X.columns) and len(body["data"]) == 1


def test_stress_test_cli_failing_service_exits_1_with_one_line(server: str, tmp_path: Path) -> None:
    out = run_component(
        "stress_test", "--url", f"{server}/fail-half", "--rps", "40", "--duration", "1",
        "--p99-latency-ms", "5000", "--max-error-rate", "0.05", "--outputs-dir", str(tmp_path),
    )  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "gates missed: error rate 0.500 > 0.05" in out.stderr
    report = json.loads((tmp_path / "report").read_text())
    assert report["outcomes"] == {"200": 20, "500": 20} and report["passed"] is False


def test_stress_test_open_loop_counts_queueing_as_latency(server: str) -> None:
    """20 requests due every 50 ms on a server that takes 100 ms each, one at a time: they queue.

    A closed-loop generator would wait for each answer and report ~100 ms; open loop keeps sending on the
    clock and the last requests wait for the ones before them, so p99 is far above the service time.
    """
    result = stress_test(url=f"{server}/serial", rps=20, duration=1, p99_latency_ms=150, max_error_rate=0.0)
    report = result.report
    assert report["requests"] == 20
    assert report["p99_ms"] > 5 * SERVICE_TIME * 1000
    assert result.failures == [f"p99 latency {report['p99_ms']:.1f} ms > 150 ms"]


def test_stress_test_logs_to_given_run_and_to_a_failed_new_run(server: str, mlflow_server: str) -> None:
    client = MlflowClient(mlflow_server)
    experiment = client.create_experiment(f"stress-{time.time_ns()}")
    run = client.create_run(experiment)
    ok = stress_test(
        url=f"{server}/ok", rps=20, duration=0.5, p99_latency_ms=5000, max_error_rate=0.0,
        tracking_uri=mlflow_server, run_id=run.info.run_id,
    )  # fmt: skip
    assert ok.run_id == run.info.run_id
    logged = client.get_run(run.info.run_id)
    assert logged.data.metrics["stress.error_rate"] == 0.0 and logged.data.tags["stress.passed"] == "true"
    assert logged.info.status == "RUNNING"  # somebody else's run: its status is theirs
    assert [a.path for a in client.list_artifacts(run.info.run_id, "stress-test")] == ["stress-test/report.json"]

    bad = stress_test(
        url=f"{server}/fail-half", rps=20, duration=0.5, p99_latency_ms=5000, max_error_rate=0.0,
        tracking_uri=mlflow_server, experiment=f"stress-new-{time.time_ns()}",
    )  # fmt: skip
    assert not bad.passed and bad.run_id is not None
    new = client.get_run(bad.run_id)
    assert new.info.status == "FAILED" and new.data.metrics["stress.error_rate"] == 0.5


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([7.0], 99) == 7.0 and percentile([], 50) == 0.0


def test_payloads_batch_rows_of_the_dataset() -> None:
    bodies = payloads("wine", batch_rows=10)
    docs = [json.loads(b)["dataframe_split"] for b in bodies]
    assert len(docs) == len(load_dataset("wine").X) // 10
    assert all(len(d["data"]) == 10 and len(d["columns"]) == 13 for d in docs)


def test_payloads_send_the_rows_given_in_base64_instead_of_the_dataset() -> None:
    doc = {"dataframe_split": {"columns": ["age", "city"], "data": [[31, "Oslo"], [47, "Lima"]]}}
    bodies = payloads("breast_cancer", rows_b64=base64.b64encode(json.dumps(doc).encode()).decode())
    assert [json.loads(b)["dataframe_split"] for b in bodies] == [
        {"columns": ["age", "city"], "data": [[31, "Oslo"]]},
        {"columns": ["age", "city"], "data": [[47, "Lima"]]},
    ]


def test_rows_that_are_not_base64_json_name_the_option_and_the_fix(server: str, tmp_path: Path) -> None:
    base = ["--url", server + "/ok/", "--rps", "5", "--duration", "1", "--p99-latency-ms", "1000"]
    for bad in ("not base64!", base64.b64encode(b'{"columns": []}').decode()):
        done = run_component("stress_test", *base, "--max-error-rate", "0", "--rows-b64", bad)
        assert done.returncode == 2
        [line] = done.stderr.strip().splitlines()
        assert "--rows-b64" in line
    assert _Handler.calls == 0  # nothing was sent


def test_prepare_env_sends_no_load_and_builds_nothing_off_the_local_stack(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLUICE_ENVS_DIR", raising=False)
    before = len(_Handler.bodies)
    out = run_component(
        "stress_test", "--prepare-env", "--url", f"{server}/ok", "--model-uri", "models:/absent/1",
        "--rps", "40", "--duration", "1", "--p99-latency-ms", "5000", "--max-error-rate", "0.05",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "no $SLUICE_ENVS_DIR" in out.stdout
    assert len(_Handler.bodies) == before


def test_prepare_env_builds_nothing_for_a_model_served_in_the_components_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow.sklearn
    from sklearn.dummy import DummyClassifier

    data = load_dataset("breast_cancer")
    # requirements pinned to this interpreter's versions, not inferred (MLflow would load the model again in a
    # subprocess, ~7 s of CPU): what the test needs is a model whose requirements this interpreter satisfies
    mlflow.sklearn.save_model(
        DummyClassifier().fit(data.X, data.y), str(tmp_path / "model"), pip_requirements=REQUIREMENTS
    )
    monkeypatch.setenv("SLUICE_ENVS_DIR", str(tmp_path / "envs"))
    out = run_component(
        "stress_test", "--prepare-env", "--model-uri", str(tmp_path / "model"),
        "--rps", "40", "--duration", "1", "--p99-latency-ms", "5000", "--max-error-rate", "0.05",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "nothing to build" in out.stdout
    assert not (tmp_path / "envs").exists()
