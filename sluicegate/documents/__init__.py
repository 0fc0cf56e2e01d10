"""Typed views of the documents the runtime keeps in its store, where the layers above read and write them.

Called by the rollout controller and its actions (`sluicegate.rollouts`), the UI and the demo's outcome check:
they import the models from here, below every controller, so reading a Rollout's status needs no controller code.
"""

from sluicegate.documents._rollout import (
    AnalysisArg,
    AnalysisRunDoc,
    AnalysisRunSpec,
    AnalysisRunStatus,
    CanaryStatus,
    CanaryStep,
    CanaryStrategy,
    Measurement,
    Metric,
    MetricResult,
    ObjectMeta,
    PauseCondition,
    PauseStep,
    PodTemplate,
    Revision,
    RolloutAnalysis,
    RolloutDoc,
    RolloutSpec,
    RolloutStatus,
    RunRef,
    Strategy,
    TemplateMeta,
    parse_analysis_run,
    parse_rollout,
)

__all__ = [
    "AnalysisArg",
    "AnalysisRunDoc",
    "AnalysisRunSpec",
    "AnalysisRunStatus",
    "CanaryStatus",
    "CanaryStep",
    "CanaryStrategy",
    "Measurement",
    "Metric",
    "MetricResult",
    "ObjectMeta",
    "PauseCondition",
    "PauseStep",
    "PodTemplate",
    "Revision",
    "RolloutAnalysis",
    "RolloutDoc",
    "RolloutSpec",
    "RolloutStatus",
    "RunRef",
    "Strategy",
    "TemplateMeta",
    "parse_analysis_run",
    "parse_rollout",
]
