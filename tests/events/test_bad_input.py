"""Bad requests on EventSource endpoints get Argo's answers, store nothing new, and never a 5xx."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.events.conftest import OUTCOME_TOKEN, Runtime, bearer, post_github, push_payload, sign


def _events(rt: Runtime) -> int:
    return len(rt.store.list("Event"))


def test_health_answers_ok_on_every_port(runtime: Runtime) -> None:
    for url in runtime.part.urls().values():
        base = url.split("/", 3)[:3]
        r = httpx.get("/".join(base) + "/health")
        assert (r.status_code, r.text.strip()) == (200, "OK")


def test_wrong_method_unknown_path_and_malformed_json_are_refused(runtime: Runtime) -> None:
    url = runtime.url("github", "push")
    assert httpx.get(url).status_code == 405
    assert httpx.post(url.rsplit("/", 1)[0] + "/nope", content=b"{}").status_code == 404
    body = b'{"ref": "refs/heads/main",'
    r = httpx.post(url, content=body, headers={"X-Hub-Signature-256": sign(body), "X-GitHub-Event": "push"})
    assert r.status_code == 400
    not_object = b"[1, 2]"
    r = httpx.post(url, content=not_object, headers={"X-Hub-Signature-256": sign(not_object), "X-GitHub-Event": "push"})
    assert r.status_code == 400
    hook = runtime.url("workflow-events", "outcome")
    assert httpx.post(hook, content=b"not json", headers=bearer(OUTCOME_TOKEN)).status_code == 400
    assert _events(runtime) == 0


def test_body_over_25_mb_is_refused_with_413(runtime: Runtime) -> None:
    url = runtime.url("github", "push")
    big = b'{"pad": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    r = httpx.post(url, content=big, headers={"X-Hub-Signature-256": sign(big), "X-GitHub-Event": "push"}, timeout=60)
    assert r.status_code == 413
    assert _events(runtime) == 0


def test_missing_secret_is_a_clear_503_not_an_accepted_event(runtime: Runtime) -> None:
    runtime.ctx.secrets.set("github-webhook", "secret", "")
    r = post_github(runtime.url("github", "push"), push_payload())
    assert r.status_code in (403, 503)
    assert _events(runtime) == 0


def test_form_encoded_github_payload_is_accepted(runtime: Runtime) -> None:
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(push_payload(after="e" * 40))}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "form-1",
        "X-Hub-Signature-256": sign(body),
    }
    assert httpx.post(runtime.url("github", "push"), content=body, headers=headers).status_code == 200
    assert _events(runtime) == 1


def test_integers_beyond_64_bits_are_recorded_not_a_5xx(runtime: Runtime) -> None:
    """JSON allows any integer; the journal's fast encoder does not. Argo Events reads them as float64."""
    huge = [-(2**63) - 1, 2**64, 10**30]
    r = post_github(runtime.url("github", "push"), {**push_payload(), "numbers": huge})
    assert r.status_code == 200, r.text
    [event] = runtime.store.list("Event")
    assert json.dumps(event).count("numbers") == 1
    assert [float(n) for n in _find(event, "numbers")] == [float(n) for n in huge]


def _find(doc: object, key: str) -> list[float]:
    """The first value under `key` anywhere in `doc` (the event's payload is stored as parsed JSON)."""
    if isinstance(doc, dict):
        if key in doc:
            return list(doc[key])
        doc = list(doc.values())
    if isinstance(doc, list):
        for item in doc:
            found = _find(item, key)
            if found:
                return found
    return []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
_header_text = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(st.binary(max_size=300), _json.map(lambda v: json.dumps(v).encode())),
    event=st.one_of(st.just("push"), st.just("ping"), _header_text),
    signed=st.booleans(),
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH"]),
    ctype=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""]),
    target=st.sampled_from([("github", "push"), ("mlflow", "run-finished"), ("workflow-events", "outcome")]),
)
def test_fuzzed_requests_never_get_a_5xx(
    runtime: Runtime, body: bytes, event: str, signed: bool, method: str, ctype: str, target: tuple[str, str]
) -> None:
    headers = {"X-GitHub-Event": event, "ce-id": event}
    if ctype:
        headers["Content-Type"] = ctype
    if signed:
        headers["X-Hub-Signature-256"] = sign(body)
    r = httpx.request(method, runtime.url(*target), content=body, headers=headers, timeout=30)
    assert r.status_code < 500, r.text


def test_an_acknowledged_event_is_already_in_the_store_file(runtime: Runtime) -> None:
    from sluicegate.eventing import EVENT_KIND, event_name
    from sluicegate.store import Store

    r = post_github(runtime.url("github", "push"), push_payload(), delivery="durable-1")
    assert r.status_code == 200
    other = Store(runtime.store.path)  # a second connection, as another process would read it
    try:
        doc = other.get(EVENT_KIND, "sluicegate", event_name("github", "push", "durable-1"))
    finally:
        other.close()
    assert doc["spec"]["data"]["body"]["X-GitHub-Delivery"] == "durable-1"
    assert doc["spec"]["data"]["headers"]["X-Github-Event"] == ["push"]
    assert doc["spec"]["context"]["source"] == "github" and doc["spec"]["context"]["type"] == "github"


def test_credentials_in_headers_are_not_journaled(runtime: Runtime) -> None:
    hook = runtime.url("workflow-events", "outcome")
    headers = {**bearer(OUTCOME_TOKEN), "Cookie": "session=hunter2", "ce-id": "cred-1"}
    r = httpx.post(hook, json={"status": "Succeeded"}, headers=headers)
    assert r.status_code == 200
    [event] = runtime.store.list("Event")
    assert event["spec"]["data"]["header"]["Authorization"] == ["*** Masked Auth Secret ***"]  # as Argo Events
    assert event["spec"]["data"]["header"]["Cookie"] == ["<redacted>"]
    assert "hunter2" not in json.dumps(event) and OUTCOME_TOKEN not in json.dumps(event)
