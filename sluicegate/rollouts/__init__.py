"""The local rollout runtime: controller, traffic splitter, analysis runner, Prometheus supervision.

Called by `sluice up` (the `prometheus` and `rollouts` parts, registered in `sluicegate.stack._parts`), by the
`sluice rollout` commands through the API routes, and by tests (`RolloutController` over a temp Store).
"""

from sluicegate.lang import ExprError
from sluicegate.lang import evaluate_condition as evaluate
from sluicegate.rollouts._actions import abort, current_run, promote, retry, set_model, summary, undo
from sluicegate.rollouts._analysis import AnalysisRunner, build_run
from sluicegate.rollouts._canary import MODEL_URI_ANNOTATION, advance, pod_hash
from sluicegate.rollouts._controller import RolloutController
from sluicegate.rollouts._explain import waiting_on
from sluicegate.rollouts._part import RolloutsPart, rollout_routes
from sluicegate.rollouts._prometheus import PrometheusPart, find_prometheus, scrape_config
from sluicegate.rollouts._providers import MeasurementError, Providers, assess
from sluicegate.rollouts._splitter import Backend, Splitter

__all__ = [
    "MODEL_URI_ANNOTATION",
    "AnalysisRunner",
    "Backend",
    "ExprError",
    "MeasurementError",
    "PrometheusPart",
    "Providers",
    "RolloutController",
    "RolloutsPart",
    "Splitter",
    "abort",
    "advance",
    "assess",
    "build_run",
    "current_run",
    "evaluate",
    "find_prometheus",
    "pod_hash",
    "promote",
    "retry",
    "rollout_routes",
    "scrape_config",
    "set_model",
    "summary",
    "undo",
    "waiting_on",
]
