"""CronWorkflow `scheduled-retrain`: runs `model-pipeline` on the default branch every night.

Called by `workflows.manifests()`. Models follow changing data even when nobody pushes: the pipeline
retrains from the branch tip, and evaluate only promotes a version that beats the champion.
Argo Workflows v4 form: a `schedules` list (the single `schedule` field is gone) and an explicit timezone.
"""

from __future__ import annotations

from hera.workflows import CronWorkflow, Parameter
from hera.workflows import models as m

from workflows import model_pipeline
from workflows._common import DEFAULTS, NAMESPACE
from workflows._step import LABELS

__all__ = ["NAME", "SCHEDULES", "template"]

NAME = "scheduled-retrain"
#: 03:17 every day: after nightly data loads, and off the hour when every other cron job fires.
SCHEDULES = ["17 3 * * *"]


def template() -> CronWorkflow:
    """The `scheduled-retrain` CronWorkflow."""
    return CronWorkflow(
        name=NAME,
        namespace=NAMESPACE,
        labels=dict(LABELS),
        schedules=list(SCHEDULES),
        timezone="UTC",
        # A retrain still running (e.g. a canary under analysis) is never overlapped by the next one.
        concurrency_policy="Forbid",
        # A run missed by more than an hour (controller down) is skipped rather than started late.
        starting_deadline_seconds=3600,
        successful_jobs_history_limit=3,
        failed_jobs_history_limit=3,
        workflow_template_ref=m.WorkflowTemplateRef(name=model_pipeline.NAME),
        workflow_metadata=m.WorkflowMetadata(labels={**LABELS, "sluicegate.io/trigger": "schedule"}),
        arguments=[Parameter(name="git-revision", value=DEFAULTS["git-revision"])],
    )
