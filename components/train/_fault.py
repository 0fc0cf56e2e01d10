"""The demo's "bad model": an MLflow pyfunc that fails on a fixed share of prediction calls, or is slow.

Called by `components.train` when `params.yaml` has a `fault:` block; loaded back by anything that serves
the model through `mlflow.pyfunc.load_model` (components.serve). Such a model is logged with the
`python_function` flavor only, so a server cannot bypass the fault by loading the scikit-learn flavor.

Contract relied on by the serving side and the canary demo:
- `predict` raises `RuntimeError("injected fault")` on exactly `error_rate` of calls, spread evenly (an
  accumulator, not a coin: with 0.5 every second call fails, per loaded copy of the model);
- `predict` sleeps `latency_ms` before every call;
- both start only `after_seconds` after the model was loaded in a process (0: at once) — a model that
  degrades in service (a leak, an expiring credential), which a short stress test does not see;
- otherwise it answers exactly what the wrapped estimator answers.
- `evaluate` scores the wrapped estimator (`estimator`), so a faulty model passes offline evaluation and is
  caught by online checks (stress-test gates, canary analysis), which is the point of the demo.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pandas as pd
from mlflow.pyfunc.model import PythonModel

__all__ = ["FAULT_MESSAGE", "FaultyModel"]

FAULT_MESSAGE = "injected fault"


class FaultyModel(PythonModel):
    """Wraps a fitted estimator; see the module docstring for the behaviour.

    Args:
        estimator: a fitted scikit-learn estimator.
        error_rate: share of calls (0..1) that raise `RuntimeError("injected fault")`.
        latency_ms: milliseconds slept before every call.
        after_seconds: the fault starts this long after the model is loaded.
    """

    def __init__(self, estimator: Any, error_rate: float, latency_ms: float = 0.0, after_seconds: float = 0.0) -> None:
        self.estimator = estimator
        self.error_rate = error_rate
        self.latency_ms = latency_ms
        self.after_seconds = after_seconds
        self._loaded_at = time.monotonic()
        self._debt = 0.0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {
            "estimator": self.estimator,
            "error_rate": self.error_rate,
            "latency_ms": self.latency_ms,
            "after_seconds": self.after_seconds,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["estimator"], state["error_rate"], state["latency_ms"], state.get("after_seconds", 0.0)
        )

    def _active(self) -> bool:
        return time.monotonic() - self._loaded_at >= self.after_seconds

    def _should_fail(self) -> bool:
        with self._lock:
            self._debt += self.error_rate
            if self._debt >= 1.0 - 1e-9:
                self._debt -= 1.0
                return True
            return False

    # a DataFrame hint: MLflow reads predict's hints as an input schema, and treats DataFrame as "no schema"
    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> Any:
        """The estimator's predictions, after the configured delay; raises on the configured share of calls."""
        active = self._active()
        if self.latency_ms > 0 and active:
            time.sleep(self.latency_ms / 1000.0)
        if self.error_rate > 0 and active and self._should_fail():
            raise RuntimeError(FAULT_MESSAGE)
        return self.estimator.predict(model_input)
