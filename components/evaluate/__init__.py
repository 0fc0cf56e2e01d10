"""The `evaluate` step: candidate model version vs the `champion` alias on the same holdout.

Called by the `evaluate` WorkflowTemplate (`python -m components.evaluate ...`) and by tests.
The rule and the report load at once; the MLflow-backed step loads on first use (see `_common/_lazy.py`).
"""

from typing import TYPE_CHECKING

from components._common._lazy import lazy_getattr
from components.evaluate._decide import CHALLENGER, CHAMPION, Decision, check_inputs, decide
from components.evaluate._report import Comparison, render_html, render_markdown

if TYPE_CHECKING:
    from components.evaluate._evaluate import EvaluationResult, evaluate

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "Comparison",
    "Decision",
    "EvaluationResult",
    "check_inputs",
    "decide",
    "evaluate",
    "render_html",
    "render_markdown",
]

__getattr__ = lazy_getattr(__name__, {"EvaluationResult": "_evaluate", "evaluate": "_evaluate"})
