"""The EventSources: `github` (push webhooks), `mlflow` (CloudEvents from the relay), `workflow-events`.

Called by `events.manifests()`. Ports and endpoints here are what the local event runtime serves too.
Every EventSource authenticates its sender: `github` by GitHub's HMAC signature (`webhookSecret`), `mlflow`
and `workflow-events` by Argo Events' `authSecret` (`Authorization: Bearer <token>`), whose tokens only
the relay and the pipelines' exit handler hold.
"""

from __future__ import annotations

import os
from typing import Any

from hera.events.models import (
    EventSource,
    EventSourceSpec,
    GithubEventSource,
    OwnedRepositories,
    Service,
    WebhookContext,
    WebhookEventSource,
)
from hera.events.models.io.k8s.api.core.v1 import ServicePort
from pydantic import BaseModel, ConfigDict

from events._build import NAMESPACE, dump, meta, pod_template, secret

__all__ = [
    "DEFAULT_GITHUB_REPOSITORIES",
    "GITHUB_PORT",
    "GITHUB_REPOSITORIES_ENV",
    "MLFLOW_AUTH_SECRET",
    "MLFLOW_EVENTS",
    "MLFLOW_PORT",
    "OUTCOME_AUTH_SECRET",
    "OUTCOME_PORT",
    "GithubConfig",
    "event_sources",
    "github_source",
    "mlflow_source",
    "outcome_url",
    "service_url",
    "workflow_events_source",
]

GITHUB_PORT = 12000
MLFLOW_PORT = 12001
OUTCOME_PORT = 12002
#: Event names of the `mlflow` EventSource, each at `/mlflow/<name>`.
MLFLOW_EVENTS = ("run-finished", "model-version-created")
_MAX_PAYLOAD = 25 * 1024 * 1024  # GitHub's own webhook payload cap
#: Secret (name, key) with the bearer token of the `mlflow` EventSource; the relay sends it.
MLFLOW_AUTH_SECRET = ("mlflow-events-auth", "token")
#: Secret (name, key) with the bearer token of the `workflow-events` EventSource; the exit handler sends it.
OUTCOME_AUTH_SECRET = ("workflow-events-auth", "token")


class GithubConfig(BaseModel):
    """Optional API registration of the push hook (Argo creates the hook only with a token and a URL)."""

    model_config = ConfigDict(frozen=True)

    owner: str = ""
    repositories: list[str] = []
    public_url: str = ""
    api_token_secret: str = ""


def _service(port: int) -> Service:
    return Service(ports=[ServicePort(port=port, target_port=port)])


def service_url(source: str, port: int) -> str:
    """In-cluster base URL of an EventSource's Service (`<name>-eventsource-svc`, created by Argo Events)."""
    return f"http://{source}-eventsource-svc.{NAMESPACE}.svc:{port}"


def _hook(source: str, port: int, endpoint: str, url: str = "", auth: tuple[str, str] | None = None) -> WebhookContext:
    # `url` is required by the schema; only hook-registering sources (GitHub with a token) use it.
    return WebhookContext(
        port=str(port),
        endpoint=endpoint,
        method="POST",
        url=url or service_url(source, port),
        max_payload_size=str(_MAX_PAYLOAD),
        auth_secret=secret(*auth) if auth else None,
    )


#: Render-time setting: the repositories whose hooks point here, `owner/name[,owner/name...]`. The
#: controller rejects a github EventSource that names neither repositories nor organizations (argo-events
#: v1.9.10 pkg/eventsources/sources/github/validate.go), so there is always at least one.
GITHUB_REPOSITORIES_ENV = "SLUICE_GITHUB_REPOSITORIES"
DEFAULT_GITHUB_REPOSITORIES = "sluicegate/example-model"


def _repositories(cfg: GithubConfig) -> list[OwnedRepositories]:
    if cfg.owner:
        return [OwnedRepositories(owner=cfg.owner, names=cfg.repositories)]
    spec = os.environ.get(GITHUB_REPOSITORIES_ENV) or DEFAULT_GITHUB_REPOSITORIES
    by_owner: dict[str, list[str]] = {}
    for item in (s.strip() for s in spec.split(",")):
        owner, _, name = item.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"{GITHUB_REPOSITORIES_ENV}: {item!r} is not owner/name (e.g. my-org/my-model)")
        by_owner.setdefault(owner, []).append(name)
    return [OwnedRepositories(owner=owner, names=names) for owner, names in by_owner.items()]


def github_source(cfg: GithubConfig | None = None) -> dict[str, Any]:
    """EventSource `github`: push webhooks at :12000/push, HMAC-checked with Secret `github-webhook`."""
    cfg = cfg or GithubConfig()
    register = bool(cfg.api_token_secret and cfg.public_url and cfg.owner)
    push = GithubEventSource(
        events=["push"],
        webhook=_hook("github", GITHUB_PORT, "/push", cfg.public_url),
        webhook_secret=secret("github-webhook", "secret"),
        content_type="json",
        insecure=False,
        active=True,
        repositories=_repositories(cfg),
        api_token=secret(cfg.api_token_secret, "token") if register else None,
        delete_hook_on_finish=register or None,
    )
    es = EventSource(
        metadata=meta("github"),
        spec=EventSourceSpec(service=_service(GITHUB_PORT), template=pod_template(), github={"push": push}),
    )
    return dump(es, "EventSource")


def mlflow_source() -> dict[str, Any]:
    """EventSource `mlflow`: CloudEvents (HTTP binary mode) posted by the relay at :12001/mlflow/<event>.

    Only the relay holds the bearer token of Secret `mlflow-events-auth`.
    """
    webhook = {
        name: WebhookEventSource(
            webhook_context=_hook("mlflow", MLFLOW_PORT, f"/mlflow/{name}", auth=MLFLOW_AUTH_SECRET).model_copy(
                update={"metadata": {"source": "mlflow"}}
            )
        )
        for name in MLFLOW_EVENTS
    }
    es = EventSource(
        metadata=meta("mlflow"),
        spec=EventSourceSpec(service=_service(MLFLOW_PORT), template=pod_template(), webhook=webhook),
    )
    return _flatten_webhook(dump(es, "EventSource"))


def workflow_events_source() -> dict[str, Any]:
    """EventSource `workflow-events`: outcome records posted by the pipelines' exit handler.

    Only the exit handler holds the bearer token of Secret `workflow-events-auth`.
    """
    ctx = _hook("workflow-events", OUTCOME_PORT, "/workflow-outcome", auth=OUTCOME_AUTH_SECRET)
    webhook = {"outcome": WebhookEventSource(webhook_context=ctx)}
    es = EventSource(
        metadata=meta("workflow-events"),
        spec=EventSourceSpec(service=_service(OUTCOME_PORT), template=pod_template(), webhook=webhook),
    )
    return _flatten_webhook(dump(es, "EventSource"))


def _flatten_webhook(doc: dict[str, Any]) -> dict[str, Any]:
    # The CRD inlines WebhookContext into each webhook event (Go struct embedding); Hera nests it.
    for name, event in list(doc["spec"].get("webhook", {}).items()):
        ctx = event.pop("webhookContext", {})
        doc["spec"]["webhook"][name] = {**ctx, **event}
    return doc


def outcome_url(in_cluster: bool = True) -> str:
    """Where the pipelines' exit handler posts outcome records (`notify-url`)."""
    base = service_url("workflow-events", OUTCOME_PORT) if in_cluster else f"http://127.0.0.1:{OUTCOME_PORT}"
    return f"{base}/workflow-outcome"


def event_sources(github: GithubConfig | None = None) -> list[dict[str, Any]]:
    """Every EventSource."""
    return [github_source(github), mlflow_source(), workflow_events_source()]
