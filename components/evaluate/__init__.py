"""The `evaluate` step: candidate model version vs the `champion` alias on the same holdout.

Called by the `evaluate` WorkflowTemplate (`python -m components.evaluate ...`) and by tests.
"""

from components.evaluate._evaluate import CHALLENGER, CHAMPION, EvaluationResult, decide, evaluate
from components.evaluate._report import Comparison, render_html, render_markdown

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "Comparison",
    "EvaluationResult",
    "decide",
    "evaluate",
    "render_html",
    "render_markdown",
]
