"""A Rollout that is not Healthy says what it waits on and what to do (`waiting_on`; the CLI in test_rollout_cli)."""

from __future__ import annotations

from typing import Any

from sluicegate.documents import AnalysisRunDoc, RolloutDoc, parse_analysis_run, parse_rollout
from sluicegate.rollouts._explain import is_missing_model, waiting_on

NS = "sluicegate"
STEPS = [{"setWeight": 10}, {"pause": {}}, {"analysis": {"templates": [{"templateName": "a"}]}}, {"setWeight": 50}]


def _rollout(status: dict[str, Any]) -> RolloutDoc:
    return parse_rollout(
        {
            "metadata": {"name": "breast-cancer", "namespace": NS},
            "spec": {"strategy": {"canary": {"steps": STEPS}}},
            "status": status,
        }
    )


def _run(*values: str, phase: str = "Inconclusive") -> AnalysisRunDoc:
    measurements = [{"phase": "Inconclusive", "value": v} for v in values]
    result = {"name": "error-rate", "phase": phase, "measurements": measurements}
    return parse_analysis_run(
        {
            "metadata": {"name": "breast-cancer-abc-2-2", "namespace": NS},
            "spec": {"metrics": [{"name": "error-rate", "provider": {"prometheus": {}}}]},
            "status": {"phase": phase, "metricResults": [result]},
        }
    )


INCONCLUSIVE = {
    "phase": "Paused",
    "currentStepIndex": 2,
    "weight": 10,
    "pauseConditions": [{"reason": "InconclusiveAnalysisRun"}],
}


def test_inconclusive_analysis_without_traffic_says_send_traffic_or_promote() -> None:
    assert waiting_on(_rollout(INCONCLUSIVE), _run("[NaN]", "[]")) == (
        "analysis inconclusive, no traffic to canary; send traffic or sluice rollout promote breast-cancer"
    )


def test_inconclusive_analysis_with_measurements_shows_the_last_value() -> None:
    said = waiting_on(_rollout(INCONCLUSIVE), _run("[NaN]", "[0.04]"))
    assert said.startswith("analysis inconclusive (error-rate = [0.04])")
    assert "sluice rollout promote breast-cancer or sluice rollout abort breast-cancer" in said


def test_pause_step_names_the_step_weight_and_promote() -> None:
    paused = {**INCONCLUSIVE, "currentStepIndex": 1, "pauseConditions": [{"reason": "CanaryPauseStep"}]}
    assert waiting_on(_rollout(paused)) == (
        "paused at step 2/4, 10% to the canary; sluice rollout promote breast-cancer"
    )


def test_running_analysis_shows_its_measurements() -> None:
    running = {"phase": "Progressing", "currentStepIndex": 2, "weight": 10}
    run = _run("[0.01]", phase="Running")
    assert waiting_on(_rollout(running), run) == (
        "analysis breast-cancer-abc-2-2 running at step 3/4, 10% to the canary: error-rate = [0.01]"
    )


def test_healthy_waits_on_nothing_and_degraded_says_how_to_retry() -> None:
    assert waiting_on(_rollout({"phase": "Healthy"})) == ""
    said = waiting_on(_rollout({"phase": "Degraded", "message": "RolloutAborted: error rate too high"}))
    assert said.startswith("Degraded: RolloutAborted: error rate too high; sluice rollout retry breast-cancer")


def test_missing_registered_model_is_recognised_from_mlflow_errors() -> None:
    assert is_missing_model("mlflow.exceptions.RestException: RESOURCE_DOES_NOT_EXIST: Registered Model ...")
    assert not is_missing_model("the model server exited (code 1): ImportError: sklearn")
