"""Short facts about a Workflow's nodes that both the CLI and the UI show: how long, and what came out.

Called by `sluice get`/`sluice list` (`sluicegate.cli._workflows`) and the UI's workflow pages
(`sluicegate.ui._views`). Pure functions over Argo's JSON (RFC 3339 times, `outputs.parameters`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["HIGHLIGHTS", "duration", "outputs_of", "pod_name"]

#: Output parameters people look for on a workflow, in the order they are shown.
HIGHLIGHTS = ("decision", "model-version", "candidate-score", "champion-score", "metrics", "model-uri", "report")


def _time(ts: Any) -> datetime | None:
    if isinstance(ts, datetime):
        return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(str(ts).replace("Z", "+00:00")) if ts else None
    except ValueError:
        return None


def duration(started: Any, finished: Any, now: datetime | None = None) -> str:
    """`1m 05s`-style time between two RFC 3339 stamps (until now while running); "" before it started."""
    begin = _time(started)
    if begin is None:
        return ""
    end = _time(finished) or now or datetime.now(UTC)
    seconds = max(0, int((end - begin).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else (f"{minutes}m {secs:02d}s" if minutes else f"{secs}s")


def outputs_of(node: dict[str, Any], limit: int = 80) -> list[tuple[str, str]]:
    """The node's notable output parameters (decision, metric, model version...), values shortened."""
    params = {p.get("name", ""): str(p.get("value", "")) for p in (node.get("outputs") or {}).get("parameters") or []}
    out = []
    for key in HIGHLIGHTS:
        value = params.get(key, "")
        if value:
            out.append((key, value if len(value) <= limit else value[: limit - 1] + "…"))
    return out


def pod_name(workflow: str, node_id: str, template: str) -> str:
    """Argo's v2 pod name of a node: `<workflow>-<template>-<hash>` (the node ID itself for the root)."""
    suffix = node_id.rsplit("-", 1)[-1] if node_id != workflow else ""
    if not suffix or not template:
        return node_id
    return f"{workflow}-{template}-{suffix}"
