"""Run the demo end to end and print the summary."""

from __future__ import annotations

import os
import secrets
import sys
import time

from rich.console import Console
from rich.table import Table

from sluicegate.client import connect
from sluicegate.config import Endpoints, Settings, load_endpoints
from sluicegate.demo._project import DemoProject
from sluicegate.demo._scenario import MODEL, Push, PushResult, champion, run_push
from sluicegate.demo._traffic import SteadyTraffic, TrafficTally
from sluicegate.demo._wait import wait_for
from sluicegate.errors import ConfigError, ServiceError
from sluicegate.secrets import SecretStore
from sluicegate.services import read_messages

__all__ = ["PUSHES", "run_demo"]

PUSHES = (
    Push("1-baseline.yaml", "Baseline model: logistic regression, C=0.001", "Succeeded", "full"),
    Push("2-better.yaml", "Less regularisation: C=0.01", "Succeeded", "promoted"),
    Push("3-faulty.yaml", "C=0.03 (this build fails half its requests once it has served 45 s)", "Failed", "aborted"),
)


def _ensure_secrets(cfg: Settings, endpoints: Endpoints) -> str:
    store = SecretStore(cfg.home)
    secret = store.try_get("github-webhook", "secret")
    if secret is None:
        secret = secrets.token_hex(20)
        store.set("github-webhook", "secret", secret)
    if endpoints.extra().get("slack") and store.try_get("slack-bot", "token") is None:
        store.set("slack-bot", "token", "xoxb-local-sink")  # the local sink accepts any token; never a real one
    return secret


def _summary(console: Console, results: list[PushResult], tally: TrafficTally | None, cfg: Settings) -> None:
    table = Table(title="Sluicegate demo: commit -> workflow -> MLflow run -> model version -> rollout")
    for col in ("commit", "workflow", "phase", "MLflow run", "version", "rollout", "champion", "time", "as expected"):
        table.add_column(col)
    for r in results:
        table.add_row(
            r.sha[:10], r.workflow, r.phase, r.run_id[:12], f"v{r.version}" if r.version else "", r.rollout,
            f"v{r.champion}" if r.champion else "", f"{r.seconds:.0f}s",
            "[green]yes[/]" if r.ok else "[red]no[/]",
        )  # fmt: skip
    console.print(table)
    for r in results:
        for problem in r.problems:
            console.print(f"  [red]{r.sha[:10]}: {problem}[/]")
    if tally is not None:
        versions = ", ".join(f"v{v}: {n}" for v, n in sorted(tally.by_version.items()))
        colour = "green" if tally.failed == 0 else "red"
        console.print(
            f"steady traffic: {tally.sent} requests, [{colour}]{tally.failed} failed[/]; answered by {versions}"
        )
        for failure in tally.failures[:5]:
            console.print(f"  [red]{failure}[/]")
    messages = read_messages(cfg.home)
    if messages:
        console.print(f"Slack messages ({len(messages)}, captured by the local sink):")
        for m in messages:
            console.print(f"  #{m.get('channel')}: {str(m.get('text', '')).splitlines()[0][:110]}")


def _mlflow_sign_in(cfg: Settings) -> None:
    """Sign this process's MLflow calls in as the stack's steps do (Secret `mlflow-auth`)."""
    secrets = SecretStore(cfg.home)
    user = secrets.try_get("mlflow-auth", "username")
    if user:
        os.environ["MLFLOW_TRACKING_USERNAME"] = user
        os.environ["MLFLOW_TRACKING_PASSWORD"] = secrets.try_get("mlflow-auth", "password") or ""


def run_demo(cfg: Settings, timeout: float = 900.0, rps: float = 20.0) -> int:
    """Run the three pushes against the running stack; returns the exit code."""
    console = Console() if sys.stdout.isatty() else Console(width=160)  # a log file gets the whole table
    endpoints = load_endpoints(cfg)
    _mlflow_sign_in(cfg)
    github = endpoints.eventsources.get("github")
    if not github:
        raise ServiceError(
            "the stack serves no `github` EventSource", where="endpoints.json", fix="`sluice up` with manifests/"
        )
    if champion(endpoints.mlflow):
        raise ConfigError(
            f"model {MODEL!r} already has a champion in this stack's MLflow, so the demo's first push would not go "
            "straight to production",
            where=str(cfg.home),
            fix="run the demo on a fresh stack: `sluice down`, remove SLUICE_HOME, then `make demo`",
        )
    secret = _ensure_secrets(cfg, endpoints)
    project = DemoProject(cfg.home / "demo", github, secret)
    project.create()
    client = connect(cfg)
    results: list[PushResult] = []
    traffic: SteadyTraffic | None = None
    started = time.monotonic()
    try:
        for i, push in enumerate(PUSHES):
            try:
                results.append(run_push(client, project, push, console, timeout))
            except ServiceError as e:  # a timeout: record it, show what happened so far
                results.append(PushResult(push, problems=[e.message]))
            for problem in results[-1].problems:
                console.print(f"  [red]{problem}[/]")
            if not results[-1].ok:
                break  # later pushes build on this one's outcome
            if i == 0:

                def service_url() -> str | None:
                    return load_endpoints(cfg).services.get(MODEL)

                url = wait_for(f"the {MODEL} service URL in endpoints.json", service_url, 30)
                columns, rows = project.eval_rows()
                traffic = SteadyTraffic(url, columns, rows, rps)
                traffic.start()
                console.print(f"steady traffic: {rps:.0f} requests/s to {url}")
    finally:
        tally = traffic.stop() if traffic else None
    _summary(console, results, tally, cfg)
    console.print(f"demo took {time.monotonic() - started:.0f}s. The stack keeps running for inspection:")
    console.print(f"  UI      {endpoints.extra().get('ui', endpoints.api + '/ui/')}")
    sign_in = endpoints.extra().get("mlflow_sign_in")
    console.print(f"  MLflow  {endpoints.mlflow}" + (f"   (sign in: {sign_in})" if sign_in else ""))
    console.print(f"  API     {endpoints.api}   (stop everything with `sluice down`)")
    ok = len(results) == len(PUSHES) and all(r.ok for r in results) and tally is not None and tally.failed == 0
    console.print("[bold green]demo: all three outcomes as expected[/]" if ok else "[bold red]demo: not as expected[/]")
    return 0 if ok else 1
