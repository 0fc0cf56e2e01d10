"""The Ingress that lets GitHub reach the `github` EventSource from outside the cluster.

Called by `events.manifests()`. Argo Events creates the EventSource's Service (`github-eventsource-svc`)
but nothing that exposes it; this Ingress (ingress-nginx, which modules/argo-stack installs) routes the
webhook path to it. Without `SLUICE_GITHUB_WEBHOOK_HOST` the rule matches any host, so GitHub can post to
`http://<the ingress load balancer>/push`; with it, only that host (give it a DNS name and TLS).
"""

from __future__ import annotations

import os
from typing import Any

from events._build import meta
from events._sources import GITHUB_PORT

__all__ = ["GITHUB_PATH", "GITHUB_WEBHOOK_HOST_ENV", "github_ingress"]

#: The EventSource's webhook endpoint, routed unchanged (no rewrite), so the EventSource sees `/push`.
GITHUB_PATH = "/push"
#: Render-time setting: the public host name GitHub posts to (empty: any host).
GITHUB_WEBHOOK_HOST_ENV = "SLUICE_GITHUB_WEBHOOK_HOST"


def github_ingress(host: str | None = None) -> dict[str, Any]:
    """Ingress `github-eventsource`: `POST <host>/push` -> Service github-eventsource-svc:12000."""
    host = os.environ.get(GITHUB_WEBHOOK_HOST_ENV, "") if host is None else host
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": GITHUB_PATH,
                    "pathType": "Exact",
                    "backend": {"service": {"name": "github-eventsource-svc", "port": {"number": GITHUB_PORT}}},
                }
            ]
        }
    }
    if host:
        rule = {"host": host, **rule}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta("github-eventsource").model_dump(by_alias=True, exclude_none=True),
        "spec": {"ingressClassName": "nginx", "rules": [rule]},
    }
