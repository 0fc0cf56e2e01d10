"""Bad input gets a 4xx naming the problem, never a 5xx, and the server keeps serving (also fuzzed)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from batchkit import post_asgi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelkit import Server, breast_cancer

from components.serve import MAX_BODY, ServeApp, load

GOOD = {"dataframe_records": breast_cancer()[0].iloc[:2].to_dict(orient="records")}
COLUMNS = list(breast_cancer()[0].columns)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "names"),
    [
        (b"", "application/json", 400, "empty"),
        (b"{not json", "application/json", 400, "JSON"),
        (b"[1, 2]", "application/json", 400, "dataframe_split"),
        (b'{"rows": []}', "application/json", 400, "dataframe_split"),
        (b'{"dataframe_records": [{"mean radius": 1}]}', "application/json", 422, "mean texture"),
        (b'{"dataframe_split": {"columns": ["a"], "data": [[1]]}}', "application/json", 400, "mean radius"),
        (b'{"dataframe_split": {"data": "x"}}', "application/json", 400, "dataframe_split.data"),
        (b"a,b\n1,2\n", "text/csv", 422, "mean radius"),
        (b"{}", "application/xml", 415, "content type"),
    ],
)
def test_invocations_bad_input_gets_4xx_naming_field(
    server: Server, body: bytes, content_type: str, status: int, names: str
) -> None:
    got = server.post(body, content_type)
    assert got.status_code == status, got.text
    assert names in got.json()["message"]
    assert server.post(GOOD).status_code == 200


def test_invocations_wrong_type_names_the_cell(server: Server) -> None:
    record = {c: 1.0 for c in COLUMNS} | {"mean area": "big"}
    got = server.post({"dataframe_split": {"columns": list(record), "data": [list(record.values())]}})
    assert got.status_code == 422
    assert "dataframe_split.data[0]" in got.json()["message"]


def test_invocations_huge_body_gets_413(server: Server) -> None:
    got = server.post(b'{"instances": [' + b"1," * (MAX_BODY // 2) + b"1]}")
    assert got.status_code == 413
    assert server.post(GOOD).status_code == 200


def _asgi(app: ServeApp, body: bytes, content_type: str = "application/json") -> int:
    """Call the ASGI app in-process; returns the status code."""
    return asyncio.run(post_asgi(app, body, content_type))[0]


@pytest.fixture(scope="module")
def app(sklearn_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> ServeApp:
    return ServeApp(str(sklearn_model_dir), None, tmp_path_factory.mktemp("m"), model=load(str(sklearn_model_dir)))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_rowish = st.lists(
    st.lists(st.one_of(st.floats(allow_nan=False), st.integers(), st.text(max_size=3), st.none()), max_size=31),
    max_size=3,
)
_body = st.one_of(
    st.fixed_dictionaries({}, optional={"dataframe_split": _json, "instances": _json}),
    st.builds(lambda d: {"dataframe_split": {"columns": COLUMNS, "data": d}}, _rowish),
    st.builds(lambda d: {"instances": d}, _rowish),
    st.builds(lambda d: {"inputs": d}, st.dictionaries(st.sampled_from(COLUMNS), _json, max_size=31)),
    st.builds(
        lambda d: {"dataframe_records": d}, st.lists(st.dictionaries(st.sampled_from(COLUMNS), _json), max_size=3)
    ),
    _json,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_body)
def test_invocations_fuzzed_json_never_5xx(app: ServeApp, body: Any) -> None:
    assert _asgi(app, json.dumps(body).encode()) < 500


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["application/json", "text/csv", "text/plain", ""]))
def test_invocations_fuzzed_bytes_never_5xx(app: ServeApp, body: bytes, content_type: str) -> None:
    assert _asgi(app, body, content_type) < 500


def test_a_body_cut_off_by_a_disconnect_is_not_scored(app: ServeApp) -> None:
    # the first part alone is a complete, valid request: scoring it would answer 200 for a body that never ended
    whole = json.dumps({"dataframe_records": breast_cancer()[0].iloc[:1].to_dict(orient="records")}).encode()
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": whole, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "path": "/invocations",
        "method": "POST",
        "headers": [(b"content-type", b"application/json")],
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 400
    assert b"client disconnected" in sent[1]["body"]
