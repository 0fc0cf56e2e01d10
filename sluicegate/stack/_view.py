"""The live status view of `sluice up` and the table of `sluice status` (rich)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

__all__ = ["status_table"]

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


def _detail(status: dict[str, Any]) -> str:
    parts = []
    for key, value in status.items():
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
