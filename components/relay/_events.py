"""The CloudEvents the relay emits, built from MLflow objects, with the fields the Sensors filter on.

Called by the relay. `produced_by_pipeline` is true when the run carries the `argo.workflow` tag (set by
our training step); `evaluate_tagged` when it carries `sluicegate.evaluate=true` (e.g. a notebook run: the
explicit request, set by a caller MLflow authenticated, to evaluate and deploy its model). A tagged run's
model version is announced for evaluation exactly once: by `run-finished` when it was registered while the
run ran (`registered_during_run`), by `model-version-created` when it was registered after the run finished
(`registered_after_run`).

Both events also carry the run's source, `git_repo` and `git_revision` (`source_of`), so that the Sensor can
evaluate a version of a model project on the project's own data (`evaluate-project-version`): the lineage tags
our training step writes (`git.repo`, `git.revision`; `components.project_train`), else MLflow's own
(`mlflow.source.git.repoURL`, `mlflow.source.git.commit`). Always present, both set or both empty.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TypedDict

__all__ = [
    "EVALUATE_TAG",
    "PIPELINE_TAG",
    "SOURCE_TAGS",
    "GitSource",
    "RelayEvent",
    "model_version_event",
    "run_finished_event",
    "source_of",
    "tags_of",
]

PIPELINE_TAG = "argo.workflow"
EVALUATE_TAG = "sluicegate.evaluate"
#: (repository tag, revision tag) pairs naming a run's source, in order of preference: Sluicegate's lineage
#: tags (written by the training steps and by hand from a notebook), then MLflow's own source tags.
SOURCE_TAGS = (("git.repo", "git.revision"), ("mlflow.source.git.repoURL", "mlflow.source.git.commit"))


class GitSource(TypedDict):
    """The model project a run came from: the event fields `git_repo` and `git_revision`."""

    git_repo: str
    git_revision: str


@dataclass(frozen=True)
class RelayEvent:
    """One CloudEvent to emit: id, type, subject, the EventSource event name it goes to, and its data."""

    id: str
    type: str
    subject: str
    event: str  # model-version-created | run-finished
    data: dict[str, Any]


def _tag_dict(tags: Any) -> dict[str, str]:
    # MLflow REST gives a list of {key, value}; its webhook payloads give a {key: value} object
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["key"]): str(t.get("value", "")) for t in tags or [] if isinstance(t, dict) and "key" in t}


def tags_of(run: dict[str, Any] | None) -> dict[str, str]:
    """A run's tags as a dict."""
    return _tag_dict(((run or {}).get("data") or {}).get("tags"))


def source_of(tags: dict[str, str]) -> GitSource:
    """A run's source from one pair of `SOURCE_TAGS` that has both values; both empty when none has.

    A repository and a revision are never taken from different pairs: they would name a commit of another
    repository.
    """
    for repo_tag, revision_tag in SOURCE_TAGS:
        repo, revision = tags.get(repo_tag, "").strip(), tags.get(revision_tag, "").strip()
        if repo and revision:
            return GitSource(git_repo=repo, git_revision=revision)
    return GitSource(git_repo="", git_revision="")


def _flags(tags: dict[str, str]) -> dict[str, bool]:
    return {
        "produced_by_pipeline": bool(tags.get(PIPELINE_TAG)),
        "evaluate_tagged": tags.get(EVALUATE_TAG, "").strip().lower() == "true",
    }


def _created_ms(version: dict[str, Any]) -> int:
    # the relay reads the registry row when the webhook lacks the time; now only if MLflow has none either
    return int(version.get("creation_timestamp") or time.time() * 1000)


def model_version_event(version: dict[str, Any], run: dict[str, Any] | None, tracking_uri: str) -> RelayEvent:
    """`model-version-created` for a registered model version."""
    name, number = str(version.get("name", "")), str(version.get("version", ""))
    run_tags = tags_of(run)
    info = (run or {}).get("info") or {}
    end = int(info.get("end_time") or 0)
    data = {
        "name": name,
        "version": number,
        "run_id": str(version.get("run_id") or ""),
        "source": str(version.get("source") or ""),
        "tags": _tag_dict(version.get("tags")),
        "run_tags": run_tags,
        "workflow": run_tags.get(PIPELINE_TAG, ""),
        "tracking_uri": tracking_uri,
        "run_status": str(info.get("status") or ""),
        "registered_after_run": info.get("status") == "FINISHED" and 0 < end < _created_ms(version),
        **_flags(run_tags),
        **source_of(run_tags),
    }
    return RelayEvent(
        id=f"model-version-created.{name}.{number}",
        type="io.sluicegate.mlflow.model_version.created",
        subject=f"models:/{name}/{number}",
        event="model-version-created",
        data=data,
    )


def run_finished_event(run: dict[str, Any], versions: list[dict[str, Any]], tracking_uri: str) -> RelayEvent:
    """`run-finished` for a run in a terminal state, with the newest model version registered from it."""
    info = run.get("info") or {}
    data_ = run.get("data") or {}
    tags = tags_of(run)
    newest = max(versions, key=lambda v: int(v.get("version", 0)), default=None)
    run_id = str(info.get("run_id") or info.get("run_uuid") or "")
    data = {
        "run_id": run_id,
        "run_name": str(info.get("run_name") or ""),
        "experiment_id": str(info.get("experiment_id") or ""),
        "status": str(info.get("status") or ""),
        "end_time": int(info.get("end_time") or 0),
        "tags": tags,
        "metrics": {str(m["key"]): m.get("value") for m in data_.get("metrics") or []},
        "params": {str(p["key"]): str(p.get("value", "")) for p in data_.get("params") or []},
        "model_name": str(newest.get("name", "")) if newest else "",
        "model_version": str(newest.get("version", "")) if newest else "",
        "registered_during_run": bool(newest) and _created_ms(newest or {}) <= int(info.get("end_time") or 0),
        "workflow": tags.get(PIPELINE_TAG, ""),
        "tracking_uri": tracking_uri,
        **_flags(tags),
        **source_of(tags),
    }
    return RelayEvent(
        id=f"run-finished.{run_id}",
        type="io.sluicegate.mlflow.run.finished",
        subject=f"runs:/{run_id}",
        event="run-finished",
        data=data,
    )
