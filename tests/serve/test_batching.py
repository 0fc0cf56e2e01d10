"""Concurrent requests to a generic pyfunc are stacked into one predict call only when that changes no answer.

In-process (the ASGI app on a real loaded MLflow model, many requests at once): every answer equals what
MLflow's own scoring function gives that request alone; a model whose answer depends on the other rows is
never stacked; a model says yes or no to stacking in its MLmodel metadata; a failing row fails only its
own request.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd
import pytest
from batchkit import Centred, Doubled, Picky, concurrently, save, split_body
from housekit import house_data, save_house_pyfunc
from mlflow.pyfunc.scoring_server import invocations

from components.serve import ServeApp, load

ROWS = pd.DataFrame({"x": [0.5 * i for i in range(24)], "n": list(range(24)), "tag": ["t"] * 24})


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("batching")
    return {
        "house": save_house_pyfunc(base / "house"),
        "doubled": save(base / "doubled", Doubled()),
        "centred": save(base / "centred", Centred()),
        "picky": save(base / "picky", Picky()),
        "no-example": save(base / "no-example", Doubled(), example=False),
        "opted-in": save(base / "opted-in", Doubled(), example=False, metadata={"sluicegate": {"batching": True}}),
        "opted-out": save(base / "opted-out", Doubled(), metadata={"sluicegate": {"batching": False}}),
        "bad-setting": save(base / "bad-setting", Doubled(), metadata={"sluicegate": {"batching": "yes"}}),
    }


def _app(path: Path, tmp: Path) -> ServeApp:
    return ServeApp(str(path), None, tmp, model=load(str(path)))


@functools.cache
def _reference(path: Path) -> Any:
    return mlflow.pyfunc.load_model(str(path))


def _alone(path: Path, body: bytes) -> tuple[int, Any]:
    """What MLflow's scoring server answers for `body` sent alone."""
    pyfunc = _reference(path)
    try:
        res = invocations(body, "application/json", pyfunc, pyfunc.metadata.get_input_schema())
    except mlflow.exceptions.MlflowException as e:
        return e.get_http_status_code(), None
    return res.status, json.loads(res.response)


def _one_row_bodies(rows: pd.DataFrame) -> list[bytes]:
    return [split_body(rows.iloc[[i]]) for i in range(len(rows))]


def test_concurrent_requests_are_stacked_and_answer_as_alone(models: dict[str, Path], tmp_path: Path) -> None:
    app = _app(models["house"], tmp_path)
    X = house_data()[0]
    bodies = [*_one_row_bodies(X.iloc[:40]), split_body(X.iloc[40:45]), split_body(X.iloc[45:47])]
    got = concurrently(app, bodies)
    assert app.model is not None and app.model.batcher is not None
    assert app.model.stack and app.model.batcher.largest > 1  # stacked: fewer predict calls than requests
    assert got == [_alone(models["house"], b) for b in bodies]
    assert all(
        len(answer["predictions"]) == len(json.loads(b)["dataframe_split"]["data"])
        for (_, answer), b in zip(got, bodies, strict=True)
    )


def test_stacked_frames_skip_mlflow_enforcement_only_once_proven_identical(
    models: dict[str, Path], tmp_path: Path
) -> None:
    app = _app(models["doubled"], tmp_path)
    bodies = _one_row_bodies(ROWS)
    assert concurrently(app, bodies) == [_alone(models["doubled"], b) for b in bodies]
    assert app.model is not None and app.model.unchecked is not None
    assert list(app.model.own_keys.values()) == [True]  # one key (float, int, str), proven on its first batch
    # doubles sent as JSON integers are another key: checked again, answers still MLflow's
    ints = [split_body(pd.DataFrame({"x": [i], "n": [i], "tag": ["u"]})) for i in range(6)]
    assert concurrently(app, ints) == [_alone(models["doubled"], b) for b in ints]
    assert len(app.model.own_keys) == 2 and all(app.model.own_keys.values())


def test_model_that_depends_on_other_rows_is_never_stacked(models: dict[str, Path], tmp_path: Path) -> None:
    app = _app(models["centred"], tmp_path)
    assert app.model is not None and not app.model.stack  # its input example scores differently alone
    bodies = _one_row_bodies(ROWS)
    got = concurrently(app, bodies)
    assert got == [_alone(models["centred"], b) for b in bodies]
    assert all(answer == {"predictions": [0.0]} for _, answer in got)  # alone, each row is its own mean
    assert app.model.batcher is not None and app.model.batcher.largest == 1


def test_failing_row_fails_only_its_own_request(models: dict[str, Path], tmp_path: Path) -> None:
    app = _app(models["picky"], tmp_path)
    rows = ROWS.copy()
    rows.loc[5, "x"] = -1.0
    bodies = _one_row_bodies(rows)
    got = concurrently(app, bodies)
    status, answer = got[5]
    assert status == 500 and answer["error_code"] == "MODEL_FAILURE" and "x must not be negative" in answer["message"]
    others = [g for i, g in enumerate(got) if i != 5]
    assert others == [_alone(models["picky"], b) for i, b in enumerate(bodies) if i != 5]


@pytest.mark.parametrize(("name", "stacked"), [("no-example", False), ("opted-in", True), ("opted-out", False)])
def test_model_metadata_or_its_example_decides_stacking(
    models: dict[str, Path], tmp_path: Path, name: str, stacked: bool
) -> None:
    app = _app(models[name], tmp_path)
    assert app.model is not None and app.model.stack is stacked
    bodies = _one_row_bodies(ROWS)
    assert concurrently(app, bodies) == [_alone(models[name], b) for b in bodies]
    assert app.model.batcher is not None and (app.model.batcher.largest > 1) is stacked


def test_batching_setting_that_is_not_a_boolean_names_the_key(models: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match=r"metadata\.sluicegate\.batching is 'yes'"):
        load(str(models["bad-setting"]))
