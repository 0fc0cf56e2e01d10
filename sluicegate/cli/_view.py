"""How `sluice up` and `sluice status` show the stack (rich). Called by `sluicegate.cli._stack`.

The live status view of `sluice up`, the table of `sluice status`, and the endpoint lines `sluice up` prints
once the stack is healthy.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table

__all__ = ["endpoint_lines", "status_table"]

_HIDE = {"healthy", "url"}


def _text(value: Any) -> str:
    """A value as people read it: `a=1 b=2` for a mapping, `x, y` for a list, never Python's repr."""
    if isinstance(value, dict):
        inner = " ".join(f"{k}={_text(v)}" for k, v in value.items() if v not in (None, "", [], {}))
        return f"({inner})" if inner else "-"
    if isinstance(value, list | tuple | set):
        return ", ".join(_text(v) for v in value) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def endpoint_lines(endpoints: dict[str, Any]) -> list[str]:
    """`name: url` lines of a stack's endpoints.

    A group (the model services, the EventSources) is indented lines under its name, or `none yet` while it is
    empty (model services appear with the first deployed model).
    """
    lines = []
    for key, value in endpoints.items():
        if key in ("pid", "home"):
            continue
        if isinstance(value, dict):
            lines.append(f"{key}: none yet" if not value else f"{key}:")
            lines.extend(f"  {name}: {_text(url)}" for name, url in value.items())
        else:
            lines.append(f"{key}: {_text(value)}")
    return lines


def _detail(status: dict[str, Any]) -> str:
    parts = []
    first = ("restarts", "lastExitCode")  # a part that was restarted says so before the detail is cut short
    ordered = [(k, status[k]) for k in first if k in status] + [(k, v) for k, v in status.items() if k not in first]
    for key, value in ordered:
        if key in _HIDE or value in (None, "", [], {}):
            continue
        parts.append(f"{key}={_text(value)}")
    text = ", ".join(parts)
    return text if len(text) <= 100 else text[:99] + "…"


def status_table(parts: dict[str, dict[str, Any]], home: str = "") -> Table:
    """A table: one row per part with health, URL and a short detail line."""
    table = Table(title=f"sluicegate stack {home}".strip(), title_justify="left", expand=False)
    table.add_column("part")
    table.add_column("health")
    table.add_column("url", no_wrap=True)
    table.add_column("detail", overflow="ellipsis")
    for name, status in parts.items():
        healthy = status.get("healthy")
        # a part that reports no health check is up as long as it started and reports no error
        if healthy is None:
            healthy = None if "error" in status else status.get("alive", True)
        health = "[green]healthy" if healthy else ("[red]unhealthy" if healthy is False else "[yellow]?")
        table.add_row(name, health, str(status.get("url") or ""), _detail(status))
    return table
