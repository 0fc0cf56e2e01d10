"""Typed views of the documents the runtime keeps in its store, where the layers above read and write them.

Called by the rollout controller and its actions (`sluicegate.rollouts`), the UI and the demo's outcome check:
they import the models from here, below every controller, so reading a Rollout's status needs no controller code.
Also Argo's `NAME=VALUE` parameters and their override of a Workflow's arguments (`_parameters`), shared by the
CLI, the API, the workflow controller and the Sensors' triggers.
"""

from sluicegate.documents._parameters import override_parameters, parameter_pairs
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
    "override_parameters",
    "parameter_pairs",
    "parse_analysis_run",
    "parse_rollout",
]
