"""The comparison report `evaluate` logs to its MLflow run: markdown, and HTML with an inline SVG bar chart.

Called by `components.evaluate.evaluate`. No plotting library: the chart is a few SVG rectangles, so the
report renders anywhere (MLflow's artifact viewer shows both files) and is byte-for-byte reproducible.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

__all__ = ["Comparison", "render_html", "render_markdown"]


@dataclass(frozen=True)
class Comparison:
    """What the report shows: both models' metrics on the same holdout, and the decision."""

    model_name: str
    candidate_version: str
    champion_version: str | None
    metric: str
    candidate: dict[str, float]
    champion: dict[str, float] | None
    decision: str
    reason: str
    holdout: str


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def render_markdown(c: Comparison) -> str:
    """The report as markdown."""
    champ = f"v{c.champion_version}" if c.champion_version else "none"
    lines = [
        f"# Evaluation of {c.model_name} v{c.candidate_version}",
        "",
        f"**Decision: {c.decision}** — {c.reason}",
        "",
        f"Holdout: {c.holdout}. Deciding metric: `{c.metric}`.",
        "",
        f"| metric | candidate v{c.candidate_version} | champion {champ} | difference |",
        "|---|---|---|---|",
    ]
    for name, value in c.candidate.items():
        other = c.champion.get(name) if c.champion else None
        diff = "—" if other is None else f"{value - other:+.4f}"
        lines.append(f"| {name} | {_fmt(value)} | {_fmt(other)} | {diff} |")
    return "\n".join(lines) + "\n"


def _chart(c: Comparison) -> str:
    names = list(c.candidate)
    bar, gap, height = 28, 36, 180
    width = 60 + len(names) * (2 * bar + gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" role="img">']
    for i, name in enumerate(names):
        x = 50 + i * (2 * bar + gap)
        values = [("#2b6cb0", c.candidate[name]), ("#a0aec0", (c.champion or {}).get(name))]
        for j, (colour, value) in enumerate(values):
            if value is None:
                continue
            h = max(1.0, value * height)
            parts.append(
                f'<rect x="{x + j * bar}" y="{height - h + 10:.1f}" width="{bar - 4}" height="{h:.1f}" fill="{colour}">'
                f"<title>{html.escape(name)}: {value:.4f}</title></rect>"
            )
        parts.append(f'<text x="{x}" y="{height + 28}" font-size="12">{html.escape(name)}</text>')
    parts.append(f'<line x1="45" y1="{height + 10}" x2="{width}" y2="{height + 10}" stroke="#333"/>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(c: Comparison) -> str:
    """The report as a standalone HTML page with a bar chart (candidate blue, champion grey)."""
    champ = f"v{c.champion_version}" if c.champion_version else "none"
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{_fmt(v)}</td><td>{_fmt((c.champion or {}).get(n))}</td></tr>"
        for n, v in c.candidate.items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Evaluation of {html.escape(c.model_name)} v{c.candidate_version}</title></head><body>"
        f"<h1>Evaluation of {html.escape(c.model_name)} v{c.candidate_version}</h1>"
        f"<p><strong>Decision: {html.escape(c.decision)}</strong> — {html.escape(c.reason)}</p>"
        f"<p>Holdout: {html.escape(c.holdout)}. Deciding metric: <code>{html.escape(c.metric)}</code>. "
        f"Candidate in blue, champion ({champ}) in grey.</p>"
        f"{_chart(c)}"
        f"<table border='1' cellpadding='4'><tr><th>metric</th><th>candidate v{c.candidate_version}</th>"
        f"<th>champion {champ}</th></tr>{rows}</table></body></html>\n"
    )
