"""Per flavor, our server answers exactly what `mlflow models serve` answers, for every input format.

Three models of the second sample's kind: a custom pyfunc (pandas preprocessing + LightGBM; served in the
environment MLflow logged with it, built with uv) compared with the real `mlflow models serve`, and
LightGBM and XGBoost regressors (numpy fast path) compared with MLflow's scoring function (the code
`mlflow models serve` runs, in process, to keep the number of servers small).

The real server runs with `--env-manager local`, in this test environment: the point is MLflow's own
answers, and the model's requirements are pinned to the versions installed here (`housekit.requirements`),
so the virtualenv MLflow would build for it holds the same packages at the same versions and answers the
same, after a second install of them. Our server builds the model's environment into the run's shared
environments folder (`SLUICE_CACHE_DIR/envs`, set once per run by tests/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from housekit import house_data, numeric_house, save_house_pyfunc, save_lightgbm, save_xgboost
from modelkit import Server

pytestmark = pytest.mark.slow

FLAVORS = ("pyfunc", "lightgbm", "xgboost")
Pairs = dict[str, tuple[Server, Server | None, Path]]


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pairs]:
    base = tmp_path_factory.mktemp("flavors")
    home = base / "home"
    dirs = {
        "pyfunc": save_house_pyfunc(base / "pyfunc"),
        "lightgbm": save_lightgbm(base / "lightgbm"),
        "xgboost": save_xgboost(base / "xgboost"),
    }
    servers = {flavor: Server(str(path), base / f"{flavor}-ours.log", home=home) for flavor, path in dirs.items()}
    real = Server(str(dirs["pyfunc"]), base / "pyfunc-mlflow.log", mlflow=True)
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda s: s.__enter__(), [*servers.values(), real]))
        yield {flavor: (ours, real if flavor == "pyfunc" else None, dirs[flavor]) for flavor, ours in servers.items()}
    finally:
        for server in [*servers.values(), real]:
            server.stop()


def _rows(flavor: str):  # type: ignore[no-untyped-def]
    X = house_data()[0] if flavor == "pyfunc" else numeric_house()[0]
    return X.iloc[[0, 3, 17, 250]]


def _bodies(flavor: str) -> dict[str, tuple[bytes, str]]:
    rows = _rows(flavor)
    js = "application/json"
    docs = {
        "dataframe_split": {"dataframe_split": rows.to_dict(orient="split", index=False)},
        "dataframe_split_reordered": {"dataframe_split": rows[rows.columns[::-1]].to_dict(orient="split", index=False)},
        "dataframe_records": {"dataframe_records": rows.to_dict(orient="records")},
        "instances": {"instances": rows.to_dict(orient="records")},
        "inputs": {"inputs": rows.to_dict(orient="list")},
        "missing_column": {"dataframe_records": rows.drop(columns=rows.columns[0]).to_dict(orient="records")},
    }
    out = {k: (json.dumps(v).encode(), js) for k, v in docs.items()}
    out["csv"] = (rows.to_csv(index=False).encode(), "text/csv")
    return out


def _post(server: Server, body: bytes, ctype: str) -> httpx.Response:
    return httpx.post(server.url + "/invocations", content=body, headers={"content-type": ctype}, timeout=60)


def _mlflow(theirs: Server | None, path: Path, body: bytes, ctype: str) -> tuple[int, object]:
    """The answer of `mlflow models serve` (the real server, or its scoring function on the same model)."""
    if theirs is not None:
        r = _post(theirs, body, ctype)
        return r.status_code, r.json()
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc.scoring_server import invocations

    pyfunc = _loaded(str(path))
    try:
        res = invocations(body, ctype, pyfunc, pyfunc.metadata.get_input_schema())
    except MlflowException as e:
        return e.get_http_status_code(), None
    return res.status, json.loads(res.response)


_cache: dict[str, object] = {}


def _loaded(path: str):  # type: ignore[no-untyped-def]
    import mlflow.pyfunc

    if path not in _cache:
        _cache[path] = mlflow.pyfunc.load_model(path)
    return _cache[path]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_every_format_answers_as_mlflow_models_serve(pairs: Pairs, flavor: str) -> None:
    ours, theirs, path = pairs[flavor]
    for fmt, (body, ctype) in _bodies(flavor).items():
        a, (status, expected) = _post(ours, body, ctype), _mlflow(theirs, path, body, ctype)
        if status == 200:
            assert a.status_code == 200, (fmt, a.text)
            assert a.json() == expected, fmt
            assert len(a.json()["predictions"]) == 4
        else:
            assert 400 <= a.status_code < 500, (fmt, a.status_code, a.text)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_concurrent_single_rows_answer_as_each_alone(pairs: Pairs, flavor: str) -> None:
    ours, theirs, path = pairs[flavor]
    X = house_data()[0] if flavor == "pyfunc" else numeric_house()[0]
    bodies = [
        json.dumps({"dataframe_split": X.iloc[[i]].to_dict(orient="split", index=False)}).encode() for i in range(48)
    ]
    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(lambda b: _post(ours, b, "application/json").json(), bodies))
    want = [_mlflow(theirs, path, b, "application/json")[1] for b in bodies]
    assert got == want


def _argv0(server: Server) -> str:
    return Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().split(b"\0")[0].decode()


def test_custom_pyfunc_runs_in_its_logged_environment(pairs: Pairs) -> None:
    from components.environment import MARKER
    from components.serve._env import model_spec
    from contract import envs_dir

    ours, _, path = pairs["pyfunc"]
    envs = envs_dir()  # the machine's, here the run's (SLUICE_CACHE_DIR/envs), not the server's SLUICE_HOME
    python = Path(_argv0(ours))
    env_root = python.parent.parent
    assert env_root == envs / model_spec(path).digest()  # the build step's cache: <envs>/<digest>
    assert not (path.parent / "home" / "envs").exists()
    deps = json.loads((env_root / MARKER).read_text())["spec"]["deps"]  # written only once the build completed
    assert any(d.startswith("lightgbm==") for d in deps) and any(d.startswith("mlflow==") for d in deps)
    assert not list(envs.glob(".build-*"))  # no half-built environment left behind


@pytest.mark.parametrize("flavor", ("lightgbm", "xgboost"))
def test_tree_flavors_are_served_here_on_the_fast_path(pairs: Pairs, flavor: str) -> None:
    import sys

    ours, _, _ = pairs[flavor]
    assert _argv0(ours) == sys.executable
