"""`sluice up`, `down`, `status`, `apply`, `secret set`, `token rotate`: the local stack's commands.

Registered by `sluicegate.cli`.

`up` runs the supervisor (`sluicegate.stack.Stack`) in the foreground with a live view, or detached;
`apply` and `status` talk to the running stack's API through `sluicegate.client`.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from contract import NAMESPACE
from sluicegate.errors import ConfigError, ConflictError, ManifestError, NotFoundError

# Each command imports what it uses (rich, the client, the supervisor) when it runs: `sluice down --help` and
# the other commands' start-up skip what they do not use.
if TYPE_CHECKING:
    from rich.console import Console

    from sluicegate.config import Settings

__all__ = ["register"]


@functools.cache
def _console() -> Console:
    """The console every command of this module prints to (made on first use)."""
    from rich.console import Console

    return Console()


def _settings(port: int | None, mlflow_port: int | None, tracking_uri: str | None) -> Settings:
    from sluicegate.config import settings

    base = settings()
    update: dict[str, Any] = {}
    if port is not None:
        update["api_port"] = port
    if mlflow_port is not None:
        update["mlflow_port"] = mlflow_port
    if tracking_uri:
        update["mlflow_tracking_uri"] = tracking_uri
    return base.model_copy(update=update)


def _print_endpoints(endpoints: dict[str, Any], cfg: Settings) -> None:
    from sluicegate.cli._view import endpoint_lines
    from sluicegate.client import read_token

    for line in endpoint_lines(endpoints):
        _console().print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    _console().print(f"  [bold]token[/]: {cfg.token_file}")
    if "ui" in endpoints and "api" in endpoints and cfg.token_file.exists():
        # the UI signs in with the API token; a link carrying it saves pasting (as Jupyter does)
        link = f"{str(endpoints['api']).rstrip('/')}/ui/login?token={read_token(cfg)}"
        _console().print(f"  open the UI: {link}", soft_wrap=True)


def up(
    detach_: Annotated[
        bool, typer.Option("--detach", "-d", help="Run in the background; return once healthy.")
    ] = False,
    port: Annotated[int | None, typer.Option("--port", help="API port (default 2746, env SLUICE_API_PORT).")] = None,
    mlflow_port: Annotated[int | None, typer.Option("--mlflow-port", help="MLflow port (default 5000).")] = None,
    mlflow_tracking_uri: Annotated[
        str | None,
        typer.Option("--mlflow-tracking-uri", envvar="SLUICE_MLFLOW_TRACKING_URI", help="Use this MLflow instead."),
    ] = None,
    manifests: Annotated[Path, typer.Option("--manifests", help="Rendered manifests applied at start.")] = Path(
        "manifests"
    ),
    without: Annotated[
        list[str] | None, typer.Option("--without", help="Leave out an optional part (repeatable), e.g. events.")
    ] = None,
    no_view: Annotated[bool, typer.Option("--no-view", hidden=True)] = False,
) -> None:
    """Start the local stack (MLflow, Argo-compatible API, workflow controller, ...) on 127.0.0.1."""
    from sluicegate.stack import Stack, detach

    cfg = _settings(port, mlflow_port, mlflow_tracking_uri)
    manifests = manifests.absolute()
    if detach_:
        args = ["--port", str(cfg.api_port), "--mlflow-port", str(cfg.mlflow_port), "--manifests", str(manifests)]
        if cfg.mlflow_tracking_uri:
            args += ["--mlflow-tracking-uri", cfg.mlflow_tracking_uri]
        for name in without or []:
            args += ["--without", name]
        if without:  # bad --without values fail here, not in the child (importing every part costs a second)
            Stack(cfg, without=frozenset(without))
        endpoints = detach(cfg, args)
        _console().print(f"[green]sluicegate stack running[/] (pid {endpoints.get('pid')}, home {cfg.home})")
        _print_endpoints(endpoints, cfg)
        _console().print("stop it with `sluice down`")
        return
    from rich.live import Live

    from sluicegate.cli._view import status_table
    from sluicegate.lang import utc_now
    from sluicegate.stack import run_foreground

    stack = Stack(cfg, manifests=manifests, without=frozenset(without or []))
    if no_view:  # the detached child: a plain log of what happened, in SLUICE_HOME/stack.log
        announced: list[bool] = []

        def log_start(s: Stack) -> None:
            if not announced:
                announced.append(True)
                print(f"{utc_now()} started pid {os.getpid()}: {json.dumps(s.endpoints)}", flush=True)
                for name, result in s.applied:
                    print(f"{utc_now()} applied {name} {result}", flush=True)

        run_foreground(stack, on_tick=log_start, tick=1.0)
        print(f"{utc_now()} stopped", flush=True)
        return
    live = Live(status_table({}), console=_console(), refresh_per_second=2, transient=False)

    def tick(s: Stack) -> None:
        if not live.is_started:
            _console().print(f"[green]sluicegate stack running[/] (home {cfg.home}); Ctrl-C stops it")
            for name, result in s.applied:
                _console().print(f"  applied {name} {result}")
            _print_endpoints(s.endpoints, cfg)
            live.start()
        live.update(status_table(s.status(), str(cfg.home)))

    try:
        run_foreground(stack, on_tick=tick)
    finally:
        if live.is_started:
            live.stop()
        _console().print("stopped")


def down_cmd() -> None:
    """Stop the local stack started from this SLUICE_HOME (and whatever a crashed one left behind)."""
    from sluicegate.config import settings
    from sluicegate.stack import down

    cfg = settings()
    if down(cfg):
        _console().print("stopped")
    else:
        _console().print("no stack was running")


def status() -> None:
    """Show every part of the running local stack and its health."""
    from sluicegate.cli._view import status_table
    from sluicegate.client import connect
    from sluicegate.config import settings

    cfg = settings()
    parts = connect(cfg).status()
    _console().print(status_table(parts, str(cfg.home)))
    if not all(p.get("healthy", True) for p in parts.values()):
        raise typer.Exit(1)


def apply(
    paths: Annotated[list[Path], typer.Argument(help="YAML files or folders.")],
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            "-n",
            help=f"Namespace of the documents that name none [default: {NAMESPACE}, as every sluice command];"
            " a document naming another one is refused.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create or update objects in the running local stack, like `kubectl apply -f`."""
    from sluicegate.client import connect
    from sluicegate.config import settings
    from sluicegate.manifests import default_namespace, load_manifests

    docs = [(where, default_namespace(doc, namespace, where)) for where, doc in load_manifests(paths)]
    client = connect(settings())
    for where, doc in docs:
        try:
            result, stored = client.objects.apply(doc)
        except (ManifestError, ConflictError, NotFoundError) as e:
            lines = e.what.splitlines()
            message = e.what
            if len(lines) > 1:  # the API names every problem, one a line
                for line in lines:
                    typer.echo(f"error: {where}: {line}", err=True)
                message = f"{len(lines)} problems (above); nothing was applied from this document"
            raise ManifestError(f"rejected: {message}", where=where, fix=e.fix) from e
        _console().print(f"{doc['kind']}/{stored['metadata']['name']} {result}")


def secret_set(
    name: Annotated[str, typer.Argument(help="Secret name (a secretKeyRef's name).")],
    key: Annotated[str, typer.Argument(help="Key in the secret.")],
    value: Annotated[
        str | None,
        typer.Argument(help="The value; better left out: it is then read from --from-file or stdin, not argv."),
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="Read the value from this file ('-': stdin).")
    ] = None,
) -> None:
    """Store a local Secret value in SLUICE_HOME (file mode 0600); the value comes from stdin unless given."""
    from sluicegate.config import settings
    from sluicegate.secrets import SecretStore

    if value is not None and from_file is not None:
        raise ConfigError("give the value or --from-file, not both", where="sluice secret set", fix="drop one")
    if value is None:
        if from_file is not None and str(from_file) != "-":
            try:
                value = from_file.read_text()
            except OSError as e:
                raise ConfigError(f"cannot read {from_file}: {e.strerror}", where="--from-file") from e
        else:
            if sys.stdin.isatty():
                _console().print(f"value for {name}/{key} (end with Ctrl-D):")
            value = sys.stdin.read()
        value = value.removesuffix("\n")  # `echo x |` and files end with a newline the value does not have
    SecretStore(settings().home).set(name, key, value)
    _console().print(f"secret {name} key {key} set")


def token_rotate() -> None:
    """Replace the API token in SLUICE_HOME with a new random one (the old one stops working)."""
    from sluicegate.config import settings
    from sluicegate.stack import PidFile, rotate_token

    home = settings().home
    rotate_token(settings().token_file)
    running = PidFile(home / "stack.pid").running()
    _console().print("new token written to SLUICE_HOME/token")
    if running is not None:
        _console().print(
            f"the running stack (pid {running}) takes it within a second: the old token and UI sign-ins stop working"
        )


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.command("up")(up)
    app.command("down")(down_cmd)
    app.command("status")(status)
    app.command("apply")(apply)
    secret = typer.Typer(
        help="Local Secrets (what secretKeyRefs resolve to).", no_args_is_help=True, rich_markup_mode=None
    )
    secret.command("set")(secret_set)
    app.add_typer(secret, name="secret")
    token = typer.Typer(help="The API token (SLUICE_HOME/token).", no_args_is_help=True)
    token.command("rotate")(token_rotate)
    app.add_typer(token, name="token")
