import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from components.train._fault import FAULT_MESSAGE, FaultyModel


def _estimator() -> LogisticRegression:
    x = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    return LogisticRegression().fit(x, [0, 0, 1, 1])


def _outcomes(model: FaultyModel, n: int) -> list[bool]:
    frame = pd.DataFrame({"x": [0.5]})
    out = []
    for _ in range(n):
        try:
            model.predict(None, frame)
            out.append(True)
        except RuntimeError as e:
            assert str(e) == FAULT_MESSAGE
            out.append(False)
    return out


def test_fault_fails_every_second_call_at_half_rate() -> None:
    assert _outcomes(FaultyModel(_estimator(), 0.5), 6) == [True, False] * 3


def test_fault_waits_after_seconds_then_fails() -> None:
    model = FaultyModel(_estimator(), 0.5, after_seconds=60)
    assert all(_outcomes(model, 10))  # healthy while young: what a short stress test sees
    model._loaded_at -= 61  # a minute later (no sleeping: a loaded machine must not decide the outcome)
    assert _outcomes(model, 4).count(False) == 2


def test_fault_delay_survives_pickling() -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(FaultyModel(_estimator(), 1.0, after_seconds=3600)))
    assert copy.after_seconds == 3600 and all(_outcomes(copy, 3))
    with pytest.raises(RuntimeError):
        FaultyModel(_estimator(), 1.0).predict(None, pd.DataFrame({"x": [1.0]}))
