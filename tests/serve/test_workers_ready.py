"""A multi-worker model server answers only from workers whose model is loaded: never a 503 while starting."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cloudpickle
import httpx
import mlflow.pyfunc
import pytest
from modelkit import REQUIREMENTS, Server, breast_cancer, fit

pytestmark = pytest.mark.slow

ROWS = {"dataframe_records": breast_cancer()[0].iloc[:2].to_dict(orient="records")}


class SlowToLoad(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """A fitted pipeline that each worker takes a different, random time (0.5-4 s) to load."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def load_context(self, context: Any) -> None:
        import random

        time.sleep(random.uniform(0.5, 4.0))

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return self.model.predict(model_input)


def _save_slow(path: Path) -> Path:
    from mlflow.models import infer_signature

    X, _ = breast_cancer()
    model = fit()
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    signature = infer_signature(X, model.predict(X))
    # pinned, not inferred: MLflow would load the model again in a subprocess (SlowToLoad: seconds, ~9 s of CPU)
    mlflow.pyfunc.save_model(
        str(path), python_model=SlowToLoad(model), signature=signature, pip_requirements=REQUIREMENTS
    )
    return path


def _hammer(url: str, deadline: float, want: int) -> list[int]:
    """POST from the moment the server starts until `want` answers in a row are 200; every status seen."""
    seen: list[int] = []
    streak = 0
    with httpx.Client(timeout=60) as client:
        while streak < want and time.monotonic() < deadline:
            try:
                code = client.post(url + "/invocations", json=ROWS).status_code
            except httpx.TransportError:  # not listening yet
                time.sleep(0.05)
                continue
            seen.append(code)
            streak = streak + 1 if code == 200 else 0
    return seen


def test_starting_workers_never_answer_503(tmp_path: Path) -> None:
    model = _save_slow(tmp_path / "slow")
    server = Server(str(model), tmp_path / "s.log", workers=2, env_manager="local")
    try:
        deadline = time.monotonic() + 480
        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(lambda _: _hammer(server.url, deadline, 20), range(4)))
        seen = [code for run in runs for code in run]
        assert seen and all(run[-20:] == [200] * 20 for run in runs), seen[-40:]
        assert 503 not in seen, f"{seen.count(503)} answers 503 from a worker still loading"
        assert httpx.get(server.url + "/ready").status_code == 200
        *workers, _ = server.workers()  # a user's pyfunc may open connections at load: each worker loads its own
        assert len(workers) == 2 and all("multiprocessing.spawn" in w for w in workers), workers
    finally:
        server.stop()
