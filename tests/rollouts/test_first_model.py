"""A Rollout whose model is not registered yet (a fresh stack) waits for its first model; it is not Degraded.

The canary state machine (`advance`) is driven with a tick whose model server fails the way `components.serve`
does when MLflow has no such model; the controller's own retry is a separate concern.
"""

from __future__ import annotations

from collections.abc import Callable

from sluicegate.documents import RolloutAnalysis, RolloutDoc, RolloutStatus, parse_rollout
from sluicegate.rollouts import MODEL_URI_ANNOTATION, advance
from sluicegate.rollouts._explain import FIRST_MODEL, waiting_on

MISSING = (
    "the model server for models:/never-trained/1 exited: mlflow.exceptions.RestException: "
    "RESOURCE_DOES_NOT_EXIST: Registered Model with name=never-trained not found"
)


class _Tick:
    def __init__(self, state: str, error: str) -> None:
        self.state, self.error = state, error
        self.aborts: list[str] = []
        self.promotions: list[str] = []

    def ready(self, model_uri: str) -> tuple[str, str, str]:
        return self.state, self.error, "1" if self.state == "ready" else ""

    def run_analysis(self, analysis: RolloutAnalysis, name: str, kind: str) -> None:
        raise AssertionError("no analysis before a first model")

    def analysis_phase(self, name: str) -> tuple[str, str]:
        return "Pending", ""

    def effect(self, fn: Callable[[], None]) -> None:
        fn()

    def promoted(self, model_uri: str, version: str) -> None:
        self.promotions.append(model_uri)

    def aborted(self, model_uri: str, version: str, reason: str) -> None:
        self.aborts.append(reason)


def _rollout(uri: str) -> RolloutDoc:
    return parse_rollout(
        {
            "metadata": {"name": "never-trained", "namespace": "sluicegate", "generation": 1},
            "spec": {
                "template": {"metadata": {"annotations": {MODEL_URI_ANNOTATION: uri}}},
                "strategy": {"canary": {"steps": [{"setWeight": 10}]}},
            },
        }
    )


def test_unregistered_first_model_waits_instead_of_aborting() -> None:
    rollout, tick = _rollout("models:/never-trained/1"), _Tick("failed", MISSING)
    st = advance(rollout, RolloutStatus(), tick)
    st = advance(rollout, st, tick)  # and stays so on the next reconcile
    assert st.phase == "Progressing" and not st.abort and not tick.aborts
    assert str(st.message).startswith(f"{FIRST_MODEL}: models:/never-trained/1 is not registered yet")
    rollout.status = st
    assert waiting_on(rollout).startswith("waiting for a first model: models:/never-trained/1")


def test_first_model_is_served_once_it_exists() -> None:
    rollout, tick = _rollout("models:/never-trained/1"), _Tick("failed", MISSING)
    st = advance(rollout, RolloutStatus(), tick)
    tick.state, tick.error = "ready", ""
    st = advance(rollout, st, tick)
    assert st.phase == "Healthy" and st.stable_model == "models:/never-trained/1"
    assert tick.promotions == ["models:/never-trained/1"]


def test_a_first_model_that_crashes_is_still_a_failure() -> None:
    rollout, tick = _rollout("models:/never-trained/1"), _Tick("failed", "the model server exited (code 1)")
    st = advance(rollout, RolloutStatus(), tick)
    assert st.phase == "Degraded" and tick.aborts
