"""`sluice rollout ...`: the Argo Rollouts kubectl plugin's verbs against the running local stack.

Registered by `sluicegate.cli`. Every command calls the stack's rollouts API (mounted by the `rollouts` part)
through `sluicegate.client`.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from contract import NAMESPACE

if TYPE_CHECKING:
    from sluicegate.client import RolloutsApi

__all__ = ["register"]

rollout_app = typer.Typer(
    help="Canary rollouts of model services (like kubectl argo rollouts).", no_args_is_help=True, rich_markup_mode=None
)

#: How long `promote` waits for the controller to act on it before printing the state.
_SETTLE_SECONDS = 10.0

Namespace = Annotated[str, typer.Option("--namespace", "-n", help="Namespace of the Rollout.")]
Name = Annotated[str, typer.Argument(help="The Rollout (= the model service), e.g. breast-cancer.")]


def _rollouts() -> RolloutsApi:
    from sluicegate.client import connect

    return connect().rollouts


def _print(summary: dict[str, Any], output: str) -> None:
    if output == "json":
        typer.echo(json.dumps(summary, indent=1))
        return
    step = summary.get("step")
    lines = [
        f"Name:       {summary['name']}  (namespace {summary['namespace']})",
        f"Status:     {summary['phase']}{'  (aborted)' if summary.get('aborted') else ''}"
        f"{'  (paused)' if summary.get('paused') else ''}",
        f"Message:    {summary.get('message') or '-'}",
        f"Stable:     {summary.get('stableModel') or '-'}",
        f"Canary:     {summary.get('canaryModel') or '-'}  (weight {summary.get('weight', 0)}%)",
        f"Step:       {step if step is not None else '-'}/{summary.get('steps', 0)}",
        f"Revision:   {summary.get('revision', 0)}",
        f"URL:        {summary.get('url') or '-'}",
    ]
    if summary.get("waitingOn"):
        lines.append(f"Waiting:    {summary['waitingOn']}")
    typer.echo("\n".join(lines))


@rollout_app.command("set-model")
def set_model(name: Name, model_uri: str, namespace: Namespace = NAMESPACE) -> None:
    """Point the Rollout at MODEL_URI (e.g. models:/breast-cancer/3); starts a canary update."""
    _print(_rollouts().act(namespace, name, "set-model", {"modelUri": model_uri}), "text")


@rollout_app.command("status")
def status(
    name: Name,
    namespace: Namespace = NAMESPACE,
    output: Annotated[str, typer.Option("--output", "-o", help="text or json")] = "text",
) -> None:
    """Show phase, stable and canary models, weight and step."""
    _print(_rollouts().get(namespace, name), output)


@rollout_app.command("list")
def list_(namespace: Namespace = NAMESPACE) -> None:
    """List the Rollouts with their phase and models."""
    for item in _rollouts().list(namespace):
        canary = f" -> {item['canaryModel']} ({item['weight']}%)" if item.get("canaryModel") else ""
        why = item.get("waitingOn") or (item.get("message") if item.get("phase") == "Degraded" else "")
        waiting = f"  ({why})" if why else ""
        typer.echo(f"{item['name']:24} {item['phase']:12} {item.get('stableModel') or '-'}{canary}{waiting}")


@rollout_app.command("promote")
def promote(
    name: Name,
    namespace: Namespace = NAMESPACE,
    full: Annotated[bool, typer.Option("--full", help="Skip every remaining step and analysis.")] = False,
) -> None:
    """Resume a paused canary (or skip its current step); --full promotes it at once."""
    rollouts = _rollouts()
    after = rollouts.act(namespace, name, "promote", {"full": full})
    # The action clears the pause; the controller then moves the Rollout on. Show the state it moved to.
    deadline = time.monotonic() + _SETTLE_SECONDS
    while after.get("phase") == "Paused" and not after.get("paused") and time.monotonic() < deadline:
        time.sleep(0.2)
        after = rollouts.get(namespace, name)
    _print(after, "text")


@rollout_app.command("abort")
def abort(name: Name, namespace: Namespace = NAMESPACE) -> None:
    """Abort the update: all traffic back to the stable model; the Rollout becomes Degraded."""
    _print(_rollouts().act(namespace, name, "abort"), "text")


@rollout_app.command("retry")
def retry(name: Name, namespace: Namespace = NAMESPACE) -> None:
    """Retry an aborted update from its first step."""
    _print(_rollouts().act(namespace, name, "retry"), "text")


@rollout_app.command("undo")
def undo(
    name: Name,
    namespace: Namespace = NAMESPACE,
    to_revision: Annotated[int | None, typer.Option("--to-revision", help="Revision to go back to.")] = None,
) -> None:
    """Roll back quickly to an earlier model version (default: the previous revision)."""
    body = {"toRevision": to_revision} if to_revision is not None else {}
    _print(_rollouts().act(namespace, name, "undo", body), "text")


def register(app: typer.Typer) -> None:
    """Add `sluice rollout ...` to `app`."""
    app.add_typer(rollout_app, name="rollout")
