"""The relay on its own: MLflow signature and replay checks, and the finished-runs watermark across restarts."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlflow.tracking import MlflowClient

from components.relay import Relay, RelayConfig, SignatureError, sign, verify
from tests.events.conftest import Recorder, wait_for

SECRET = "relay-secret"
SINK_TOKEN = "eventsource-token"


@pytest.fixture(scope="module")
def mlflow_server(own_mlflow_server: str) -> str:
    """Runs here ask for evaluation: a server of this module's own, unseen by other stacks' relays."""
    return own_mlflow_server


def _relay(mlflow: str, sink: str, state: Path) -> Relay:
    cfg = RelayConfig(mlflow=mlflow, sink=sink, state=state, secret=SECRET, sink_token=SINK_TOKEN, poll_interval=0.2)
    relay = Relay(cfg)
    relay.start()
    return relay


def _deliver(
    url: str, payload: dict[str, object], delivery: str = "", ts: int = 0, secret: str = SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    delivery = delivery or str(uuid.uuid4())
    stamp = str(ts or int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-MLflow-Delivery-Id": delivery,
        "X-MLflow-Timestamp": stamp,
        "X-MLflow-Signature": sign(secret, delivery, stamp, body),
    }
    return httpx.post(url, content=body, headers=headers, timeout=30)


def test_verify_signature_rejects_tampering_and_stale_timestamps() -> None:
    body = b'{"entity":"model_version"}'
    sig = sign(SECRET, "d1", "1000", body)
    verify(SECRET, "d1", "1000", body, sig, now=1010, window=300)
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, "d1", "1000", body + b" ", sig, now=1010, window=300)
    with pytest.raises(SignatureError, match="does not match"):
        verify("other", "d1", "1000", body, sig, now=1010, window=300)
    with pytest.raises(SignatureError, match="away from now"):
        verify(SECRET, "d1", "1000", body, sig, now=2000, window=300)
    with pytest.raises(SignatureError, match="missing"):
        verify(SECRET, "d1", "1000", body, "", now=1010, window=300)


def test_webhook_deliveries_are_verified_relayed_once_and_replays_refused(
    tmp_path: Path, mlflow_server: str, recorder: Recorder
) -> None:
    client = MlflowClient(mlflow_server)
    name = f"relay-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    run = client.create_run(client.get_experiment_by_name("Default").experiment_id, tags={"team": "ml"})
    client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    relay = _relay(mlflow_server, recorder.url + "/mlflow", tmp_path / "state.json")
    try:
        payload = {"entity": "model_version", "action": "created", "timestamp": "now",
                   "data": {"name": name, "version": "1", "run_id": None, "source": "models:/m-1"}}  # fmt: skip
        url = f"http://127.0.0.1:{relay.port}/webhook"
        ok = _deliver(url, payload, delivery="d-1")
        assert ok.status_code == 200, ok.text
        assert _deliver(url, payload, delivery="d-1").status_code == 409
        assert _deliver(url, payload, secret="wrong").status_code == 401
        assert _deliver(url, payload, ts=int(time.time()) - 3600).status_code == 401
        assert _deliver(url, {"entity": "registered_model", "action": "created", "data": {}}).status_code == 200
        bad = httpx.post(url, content=b"{not json", headers={"X-MLflow-Delivery-Id": "x"})
        assert bad.status_code == 401  # unsigned comes first
    finally:
        relay.stop()
    versions = [r for r in recorder.requests if r["path"] == "/mlflow/model-version-created"]
    assert len(versions) == 1
    headers = {k.lower(): v for k, v in versions[0]["headers"].items()}
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-id"] == f"model-version-created.{name}.1"
    assert headers["ce-type"] == "io.sluicegate.mlflow.model_version.created"
    assert headers["authorization"] == f"Bearer {SINK_TOKEN}"  # the mlflow EventSource's authSecret
    data = json.loads(versions[0]["body"])
    assert data["run_id"] == run.info.run_id  # looked up: the webhook said null
    assert data["run_tags"]["team"] == "ml"
    assert (data["produced_by_pipeline"], data["evaluate_tagged"]) == (False, False)


def test_a_delivery_relayed_late_still_tells_a_version_registered_during_its_run_from_one_after(
    tmp_path: Path, mlflow_server: str, recorder: Recorder
) -> None:
    """MLflow's webhook carries no creation time: the registry's says when the version was registered."""
    client = MlflowClient(mlflow_server)
    experiment = client.get_experiment_by_name("Default").experiment_id
    name = f"late-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    run = client.create_run(experiment)
    client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)  # during
    client.set_terminated(run.info.run_id)
    time.sleep(0.05)  # the run has ended when version 2 is registered
    client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)  # after
    relay = _relay(mlflow_server, recorder.url + "/mlflow", tmp_path / "state.json")
    try:
        url = f"http://127.0.0.1:{relay.port}/webhook"
        for version in ("1", "2"):  # both delivered now, after the run ended, as MLflow's payload has them
            data = {"name": name, "version": version, "run_id": run.info.run_id, "source": "models:/m"}
            sent = _deliver(url, {"entity": "model_version", "action": "created", "data": data})
            assert sent.status_code == 200, sent.text
    finally:
        relay.stop()
    created = [json.loads(r["body"]) for r in recorder.requests if r["path"] == "/mlflow/model-version-created"]
    after = {e["version"]: e["registered_after_run"] for e in created if e["name"] == name}
    assert after == {"1": False, "2": True}


def test_finished_runs_are_announced_once_and_none_missed_across_a_restart(
    tmp_path: Path, mlflow_server: str, recorder: Recorder
) -> None:
    client = MlflowClient(mlflow_server)
    exp = client.create_experiment(f"relay-{uuid.uuid4().hex[:8]}")
    state = tmp_path / "state.json"

    def finished(tag: str) -> str:
        run = client.create_run(exp, tags={"which": tag})
        client.set_terminated(run.info.run_id, "FINISHED")
        return run.info.run_id

    def announced() -> list[str]:
        ids = [json.loads(r["body"])["run_id"] for r in recorder.requests if r["path"] == "/mlflow/run-finished"]
        return [i for i in ids if i in mine]

    mine: set[str] = set()
    old = finished("history")  # finished before the relay ever ran: not announced (no backfill)
    time.sleep(0.05)
    relay = _relay(mlflow_server, recorder.url + "/mlflow", state)
    try:
        mine.add(finished("after-start"))
        wait_for(lambda: len(announced()) == 1, what="the first run announced")
    finally:
        relay.stop()
    mine.add(finished("while-down"))
    relay = _relay(mlflow_server, recorder.url + "/mlflow", state)
    try:
        wait_for(lambda: len(announced()) == 2, what="the run finished while the relay was down")
        mine.add(finished("while-up"))
        wait_for(lambda: len(announced()) == 3, what="the run finished while up")
        relay.poll_once()
    finally:
        relay.stop()
    assert sorted(announced()) == sorted(mine)  # each exactly once
    assert old not in {json.loads(r["body"])["run_id"] for r in recorder.requests}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.one_of(
        _json,
        st.fixed_dictionaries(
            {"entity": st.sampled_from(["model_version", "x"]), "action": st.sampled_from(["created", "y"])},
            optional={"data": _json},
        ),
    ),
    signed=st.booleans(),
)
def test_fuzzed_signed_deliveries_never_crash_the_relay(tmp_path: Path, payload: object, signed: bool) -> None:
    relay = Relay(RelayConfig(mlflow="http://127.0.0.1:9", sink="http://127.0.0.1:9/mlflow", state=tmp_path / "s.json",
                              secret=SECRET))  # fmt: skip
    try:
        body = json.dumps(payload).encode()
        delivery, stamp = str(uuid.uuid4()), str(int(time.time()))
        headers = {"x-mlflow-delivery-id": delivery, "x-mlflow-timestamp": stamp}
        if signed:
            headers["x-mlflow-signature"] = sign(SECRET, delivery, stamp, body)
        status, _ = relay.handle_webhook(headers, body)
        assert status in ((200, 400, 502) if signed else (401,))
    finally:
        relay._server.server_close()
        relay.mlflow.close()


def test_relay_reads_its_secret_from_a_file_and_names_a_missing_one(tmp_path) -> None:
    import subprocess
    import sys

    missing = tmp_path / "nope"
    done = subprocess.run(
        [sys.executable, "-m", "components.relay", "--mlflow", "http://127.0.0.1:9", "--sink", "http://127.0.0.1:9/x",
         "--state", str(tmp_path / "s.json"), "--secret-file", str(missing)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"cannot read the webhook secret from {missing}" in done.stderr


def test_relay_that_cannot_register_its_webhook_exits_with_the_reason(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "components.relay", "--mlflow", "http://127.0.0.1:9", "--sink", "http://127.0.0.1:9/x",
         "--state", str(tmp_path / "s.json"), "--secret-env", "RELAY_SECRET", "--sink-token-env", "SINK_TOKEN",
         "--listen-port", "0", "--register-webhook"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "RELAY_SECRET": "s", "SINK_TOKEN": "t"},
    )  # fmt: skip  # a relay that stopped before serving used to hang in shutdown() instead of exiting
    assert done.returncode == 1, done.stderr
    assert "could not register the MLflow webhook" in done.stderr and "127.0.0.1:9" in done.stderr


def test_version_tags_are_read_in_both_of_mlflows_shapes() -> None:
    from components.relay._events import model_version_event

    run = {"info": {"status": "RUNNING"}, "data": {"tags": [{"key": "sluicegate.evaluate", "value": "true"}]}}
    from_webhook = model_version_event({"name": "m", "version": "2", "tags": {"git.revision": "abc"}}, run, "u")
    from_rest = model_version_event(
        {"name": "m", "version": "2", "tags": [{"key": "git.revision", "value": "abc"}]}, run, "u"
    )
    assert from_webhook.data["tags"] == from_rest.data["tags"] == {"git.revision": "abc"}
    assert from_webhook.data["evaluate_tagged"] is True
