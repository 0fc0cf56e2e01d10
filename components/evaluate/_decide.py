"""The promotion rule and the checks on evaluate's inputs; no MLflow here, so both answer at once.

Called by `components.evaluate.evaluate` and by its CLI (which checks inputs before loading MLflow).
"""

from __future__ import annotations

from typing import Literal

from components._common import METRICS, UserError

__all__ = ["CHALLENGER", "CHAMPION", "Decision", "check_inputs", "decide"]

CHAMPION = "champion"
CHALLENGER = "challenger"
Decision = Literal["promote", "reject"]


def check_inputs(candidate_version: str, min_improvement: float, metric: str) -> None:
    """Reject a non-numeric version, an improvement outside 0..1, or an unknown metric.

    Raises:
        UserError: naming the flag and the accepted values.
    """
    if metric not in METRICS:
        raise UserError(f"unknown --metric {metric!r}", fix=f"accepted values: {', '.join(METRICS)}")
    if not 0.0 <= min_improvement < 1.0:
        raise UserError(f"--min-improvement {min_improvement} is out of range", fix="accepted range: 0 <= x < 1")
    if not candidate_version.isdigit():
        raise UserError(f"--candidate-version {candidate_version!r} is not a version number", fix="e.g. 3")


def decide(
    candidate: float, champion: float | None, min_improvement: float, *, same_version: bool = False
) -> tuple[Decision, str]:
    """The promotion rule; returns the decision and a one-line reason.

    `promote` when there is no champion, or when the candidate is strictly better and by at least
    `min_improvement`; `reject` otherwise, and always when the candidate already is the champion.
    """
    if same_version:
        return "reject", "the candidate already is the champion"
    if champion is None:
        return "promote", "there is no champion yet"
    gain = candidate - champion
    if gain > 0 and gain >= min_improvement:
        return "promote", f"beats the champion by {gain:+.4f} (needed {min_improvement:+.4f})"
    return "reject", f"changes the score by {gain:+.4f}; needed at least {min_improvement:+.4f} and better"
