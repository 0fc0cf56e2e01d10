"""Small inline-SVG charts of analysis measurements over time against their thresholds.

Called by the rollout page (`_pages`). No script and no external asset: the stack works offline, so a
chart is plain SVG the server writes. The threshold comes from the metric's `successCondition`
(`result[0] >= asFloat(args.minSuccessRate)` with the run's args, or a number), drawn as a dashed line;
each measurement is a point coloured by its phase, with its value and time in a tooltip. A measurement
with no number (`[NaN]`, `[]`, an error) is drawn as a hollow marker on the floor of the chart.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

__all__ = ["Threshold", "measurement_value", "metric_chart", "threshold_of"]

Doc = dict[str, Any]

_W, _H, _PAD_L, _PAD_R, _PAD_Y = 320, 110, 44, 12, 14
_COLOURS = {"Successful": "#2e9e5b", "Failed": "#d64545", "Error": "#b02a2a", "Inconclusive": "#b7791f"}
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_CONDITION = re.compile(
    r"result(?:\[0\])?\s*(>=|<=|>|<)\s*(?:asFloat\(\s*)?(args\.[A-Za-z0-9_.-]+|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
)


@dataclass(frozen=True)
class Threshold:
    """A metric's pass line: `value` and the comparison a good measurement satisfies."""

    op: str
    value: float

    @property
    def label(self) -> str:
        """`≥ 0.99`-style text."""
        symbol = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}[self.op]
        return f"{symbol} {self.value:g}"


def measurement_value(raw: Any) -> float | None:
    """The first number of a measurement's value (`[0.998]`, `1`, `0.5`); None for NaN, empty or text."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        match = _NUMBER.search(str(raw or ""))
        if match is None:
            return None
        number = float(match.group())
    return number if math.isfinite(number) else None


def threshold_of(metric: Doc, args: dict[str, Any]) -> Threshold | None:
    """The threshold in `successCondition`, with `args.X` looked up in the run's args; None if there is none."""
    match = _CONDITION.search(str(metric.get("successCondition") or ""))
    if match is None:
        return None
    op, ref = match.groups()
    raw = args.get(ref[len("args.") :]) if ref.startswith("args.") else ref
    number = measurement_value(raw)
    return Threshold(op, number) if number is not None else None


def _epoch(ts: str) -> float | None:
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _xs(measurements: list[Doc]) -> list[float]:
    """X positions: times when every measurement has one, else the measurement's index."""
    times = [_epoch(str(m.get("finishedAt") or m.get("startedAt") or "")) for m in measurements]
    if all(t is not None for t in times) and len({t for t in times}) > 1:
        return [float(t or 0.0) for t in times]
    return [float(i) for i in range(len(measurements))]


def _scale(lo: float, hi: float, a: float, b: float) -> Any:
    span = hi - lo or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def metric_chart(name: str, measurements: list[Doc], threshold: Threshold | None) -> str:
    """An SVG chart of `measurements` (oldest first) against `threshold`; "" when there is nothing to draw."""
    if not measurements:
        return ""
    values = [measurement_value(m.get("value")) for m in measurements]
    numbers = [v for v in values if v is not None] + ([threshold.value] if threshold else [])
    lo, hi = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - (abs(lo) * 0.1 or 1.0), hi + (abs(hi) * 0.1 or 1.0)
    pad = (hi - lo) * 0.1
    lo, hi = lo - pad, hi + pad
    xs = _xs(measurements)
    fx = _scale(min(xs), max(xs), _PAD_L + 6, _W - _PAD_R - 6) if len(xs) > 1 else (lambda _: (_PAD_L + _W) / 2)
    fy = _scale(lo, hi, _H - _PAD_Y, _PAD_Y)
    floor = _H - _PAD_Y + 4
    out = [
        f'<svg class="chart" data-metric="{escape(name)}" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        f'role="img" aria-label="{escape(name)} measurements">',
        f'<rect x="{_PAD_L}" y="{_PAD_Y - 6}" width="{_W - _PAD_L - _PAD_R}" height="{_H - 2 * _PAD_Y + 12}" '
        'class="frame"/>',
        f'<text x="{_PAD_L - 4}" y="{_PAD_Y + 4}" class="tick" text-anchor="end">{hi - pad:.3g}</text>',
        f'<text x="{_PAD_L - 4}" y="{_H - _PAD_Y}" class="tick" text-anchor="end">{lo + pad:.3g}</text>',
    ]
    if threshold is not None:
        y = fy(threshold.value)
        out.append(
            f'<line x1="{_PAD_L}" x2="{_W - _PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="threshold" '
            f'data-threshold="{threshold.value:g}"><title>threshold {escape(threshold.label)}</title></line>'
            f'<text x="{_W - _PAD_R - 2}" y="{y - 3:.1f}" class="tick" text-anchor="end">'
            f"{escape(threshold.label)}</text>"
        )
    line = [f"{fx(x):.1f},{fy(v):.1f}" for x, v in zip(xs, values, strict=True) if v is not None]
    if len(line) > 1:
        out.append(f'<polyline points="{" ".join(line)}" class="series"/>')
    for m, x, v in zip(measurements, xs, values, strict=True):
        phase = str(m.get("phase") or "")
        colour = _COLOURS.get(phase, "#6b7785")
        when = str(m.get("finishedAt") or m.get("startedAt") or "")
        shown = str(m.get("value") if m.get("value") is not None else m.get("message") or "no value")
        tip = f"<title>{escape(shown)} · {escape(phase)} · {escape(when)}</title>"
        if v is None:
            out.append(
                f'<circle cx="{fx(x):.1f}" cy="{floor:.1f}" r="4" fill="none" stroke="{colour}" stroke-width="2" '
                f'data-phase="{escape(phase)}" data-value="">{tip}</circle>'
            )
        else:
            out.append(
                f'<circle cx="{fx(x):.1f}" cy="{fy(v):.1f}" r="4" fill="{colour}" data-phase="{escape(phase)}" '
                f'data-value="{v:g}">{tip}</circle>'
            )
    out.append("</svg>")
    return "".join(out)
