"""`sluice events list` and `sluice events show` (registered by `sluicegate.cli`).

They read the event journal through the running stack's API (`sluicegate.client`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from contract import NAMESPACE

__all__ = ["register"]

events_app = typer.Typer(
    name="events", help="Events received by the local EventSources and what they triggered.", rich_markup_mode=None
)


def _triggers(doc: dict[str, Any]) -> str:
    out = []
    for t in (doc.get("status") or {}).get("triggers") or []:
        text = f"{t.get('sensor')}/{t.get('trigger')}: {t.get('phase')}"
        if t.get("workflow"):
            text += f" ({t['workflow']})"
        if t.get("warning"):
            text += " [warning]"
        out.append(text)
    return "\n".join(out)


@events_app.command("list")
def list_cmd(
    source: Annotated[str, typer.Option("--source", "-s", help="Only events of this EventSource.")] = "",
    phase: Annotated[str, typer.Option("--phase", help="Pending, Ignored, Triggered or Failed.")] = "",
    limit: Annotated[int, typer.Option("--limit", help="At most this many (newest first).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the event documents as JSON.")] = False,
) -> None:
    """Events, newest first, with their outcome and the triggers they fired."""
    from rich.console import Console
    from rich.table import Table

    from sluicegate.client import connect

    docs = connect().events.list(source, phase, limit)
    if as_json:
        typer.echo(json.dumps(docs, indent=1))
        return
    table = Table("RECEIVED", "NAME", "SOURCE/EVENT", "PHASE", "TRIGGERS", "MESSAGE")
    # `sluice events show NAME` needs the whole name: the name column never shrinks, the message wraps
    table.columns[1].no_wrap = True
    table.columns[1].min_width = max((len(d["metadata"]["name"]) for d in docs), default=4)
    table.columns[5].overflow = "fold"
    for d in docs:
        labels = d["metadata"].get("labels") or {}
        status = d.get("status") or {}
        table.add_row(
            str(status.get("receivedAt", ""))[:23],
            d["metadata"]["name"],
            f"{labels.get('events.argoproj.io/event-source')}/{labels.get('events.argoproj.io/event-name')}",
            str(status.get("phase", "")),
            _triggers(d),
            str(status.get("message", ""))[:120],
        )
    Console(width=200).print(table)


@events_app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="The event's name (from `sluice events list`).")],
    namespace: Annotated[str, typer.Option("--namespace", "-n")] = NAMESPACE,
) -> None:
    """One event as JSON: CloudEvent context, data, outcome and every trigger attempt."""
    from sluicegate.client import connect

    typer.echo(json.dumps(connect().events.get(namespace, name), indent=1))


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.add_typer(events_app)
