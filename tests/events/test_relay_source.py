"""The relay's events name the run's source (`git_repo`, `git_revision`), which routes a version to its project."""

from __future__ import annotations

from typing import Any

import pytest

from components.relay import model_version_event, run_finished_event, source_of

URI = "http://mlflow.test"
LINEAGE = {"git.repo": "https://git.test/churn.git", "git.revision": "a" * 40}
MLFLOW_SOURCE = {"mlflow.source.git.repoURL": "git@git.test:team/churn.git", "mlflow.source.git.commit": "b" * 40}


def _run(tags: dict[str, str]) -> dict[str, Any]:
    """A run as MLflow's REST API returns it (tags as a list of {key, value})."""
    return {
        "info": {"run_id": "r1", "experiment_id": "1", "status": "FINISHED", "end_time": 2000},
        "data": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({**MLFLOW_SOURCE, **LINEAGE}, ("https://git.test/churn.git", "a" * 40)),  # our lineage tags first
        (MLFLOW_SOURCE, ("git@git.test:team/churn.git", "b" * 40)),  # else MLflow's own
        # never a repository of one pair with the revision of the other
        ({"git.repo": "https://git.test/churn.git", **MLFLOW_SOURCE}, ("git@git.test:team/churn.git", "b" * 40)),
        ({"git.repo": "https://git.test/churn.git", "mlflow.source.git.commit": "b" * 40}, ("", "")),
        ({"git.repo": " ", "git.revision": "a" * 40}, ("", "")),
        ({"sluicegate.evaluate": "true"}, ("", "")),
    ],
)
def test_source_is_one_complete_pair_of_tags(tags: dict[str, str], expected: tuple[str, str]) -> None:
    source = source_of(tags)
    assert (source["git_repo"], source["git_revision"]) == expected
    for event in (
        run_finished_event(_run(tags), [{"name": "churn", "version": "3", "creation_timestamp": 1000}], URI),
        model_version_event({"name": "churn", "version": "3", "creation_timestamp": 3000}, _run(tags), URI),
    ):
        assert (event.data["git_repo"], event.data["git_revision"]) == expected, event.event


def test_version_without_a_run_has_empty_source_fields() -> None:
    # the Sensor's data filters need the paths to exist: an absent field would route the event nowhere
    event = model_version_event({"name": "churn", "version": "1", "creation_timestamp": 1}, None, URI)
    assert event.data["git_repo"] == "" and event.data["git_revision"] == ""
