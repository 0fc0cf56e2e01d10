"""Declarative workflow definitions of Sluicegate; imported only by `sluice render` (and its tests).

`manifests()` returns every document this package defines, as plain dicts ready for YAML: the
WorkflowTemplates `train`, `train-project`, `evaluate`, `evaluate-project`, `build`, `stress-test`,
`evaluate-and-deploy`, `model-pipeline`, `project-pipeline` and `evaluate-project-version`, the CronWorkflow
`scheduled-retrain`, and the pipeline's ServiceAccount and RBAC.
Building happens inside `manifests()`, never at import, so the components image is read from
`SLUICE_COMPONENTS_IMAGE` at render time.
"""

from __future__ import annotations

from typing import Any

from workflows import (
    build,
    evaluate,
    evaluate_and_deploy,
    evaluate_project,
    evaluate_project_version,
    model_pipeline,
    project_pipeline,
    rbac,
    scheduled_retrain,
    stress_test,
    train,
    train_project,
)

__all__ = ["manifests"]


def manifests() -> list[dict[str, Any]]:
    """Every document this package defines."""
    templates = [
        train.template(),
        train_project.template(),
        evaluate.template(),
        build.template(),
        stress_test.template(),
        evaluate_and_deploy.template(),
        evaluate_project.template(),
        model_pipeline.template(),
        project_pipeline.template(),
        evaluate_project_version.template(),
        scheduled_retrain.template(),
    ]
    return [t.to_dict() for t in templates] + rbac.manifests()
