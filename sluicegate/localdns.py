"""Cluster service names on one machine: `http://<service>.<namespace>.svc[.cluster.local][:port]` -> local URL.

On a cluster, a step reaches MLflow at `http://mlflow.sluicegate.svc:5000` and a model service at
`http://breast-cancer-canary.sluicegate.svc`, through cluster DNS. The embedded stack has no cluster DNS, so
the workflow controller rewrites such URLs in a step's command, arguments and environment to the local
address of the same service before it starts the step (documented in docs/compatibility.md). Names it does
not know are left alone, so a step can still reach real hosts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["resolve", "service_map", "services_of_home"]

_URL = re.compile(
    r"(?P<scheme>https?)://(?P<svc>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.(?P<ns>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)"
    r"\.svc(?:\.cluster\.local)?(?::(?P<port>\d+))?(?=[/?#\s\"',]|$)"
)


def service_map(endpoints: Mapping[str, Any]) -> dict[str, str]:
    """Service name -> local base URL, from the stack's `endpoints.json` content.

    `mlflow` is the tracking server; every Rollout's services (`<name>`, `<name>-stable`, `<name>-canary`)
    come from `services` and, when the rollout controller publishes them, `serviceBackends`; every
    EventSource's Service (`<name>-eventsource-svc`) comes from `eventsources`.
    """
    out: dict[str, str] = {}
    if endpoints.get("mlflow"):
        out["mlflow"] = str(endpoints["mlflow"])
    if endpoints.get("prometheus"):
        out["prometheus"] = str(endpoints["prometheus"])
    for name, url in (endpoints.get("services") or {}).items():
        out[str(name)] = str(url)
        out.setdefault(f"{name}-stable", str(url))
        out.setdefault(f"{name}-canary", str(url))
    for name, url in (endpoints.get("serviceBackends") or {}).items():
        out[str(name)] = str(url)
    for key, url in (endpoints.get("eventsources") or {}).items():  # Argo Events' `<name>-eventsource-svc`
        base = _base(str(url))
        if base:
            out.setdefault(f"{str(key).split('/')[0]}-eventsource-svc", base)
    return {k: v.rstrip("/") for k, v in out.items()}


def _base(url: str) -> str:
    m = re.match(r"^(https?://[^/]+)", url)
    return m.group(1) if m else ""


def resolve(text: str, services: Mapping[str, str]) -> str:
    """`text` with every cluster service URL whose service is known replaced by its local URL."""

    def swap(m: re.Match[str]) -> str:
        local = services.get(m.group("svc"))
        return local if local is not None else m.group(0)

    return _URL.sub(swap, text) if ".svc" in text else text


def services_of_home(home: Path) -> dict[str, str]:
    """`service_map` of the stack whose `endpoints.json` is in `home` (empty when there is none yet)."""
    try:
        return service_map(json.loads((home / "endpoints.json").read_text()))
    except (FileNotFoundError, ValueError):
        return {}
