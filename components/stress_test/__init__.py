"""The `stress-test` step: open-loop load on a model service, gated on p99 latency and error rate.

Also the `serve-env` step before it (`prepare_env`): the model's serving environment, built once.

Called by the `stress-test` WorkflowTemplate (`python -m components.stress_test ...`), the rollouts'
`job` analysis, and tests.
"""

from components.stress_test._load import Sample, run_load
from components.stress_test._prepare import prepare_env
from components.stress_test._report import gate_failures, percentile, summarize
from components.stress_test._stress import DEFAULT_EXPERIMENT, StressResult, payloads, stress_test

__all__ = [
    "DEFAULT_EXPERIMENT",
    "Sample",
    "StressResult",
    "gate_failures",
    "payloads",
    "percentile",
    "prepare_env",
    "run_load",
    "stress_test",
    "summarize",
]
