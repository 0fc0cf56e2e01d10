"""Cluster service names on one machine: `http://<service>.<namespace>.svc[.cluster.local][:port]` -> local URL.

On a cluster, a step reaches MLflow at `http://mlflow.sluicegate.svc:5000` and a model service at
`http://breast-cancer-canary.sluicegate.svc`, through cluster DNS. The embedded stack has no cluster DNS, so
the workflow controller rewrites such URLs in a step's command, arguments and environment to the local
address of the same service before it starts the step (documented in docs/compatibility.md). Names it does
not know are left alone, so a step can still reach real hosts.

Also called by the rollout controller (`sluicegate.rollouts`): `role_service` names a Rollout's
`<rollout>-stable`/`-canary` Services for both, and `replace_services` (with `bare`) maps the addresses in a
metric provider, where an AnalysisTemplate may also write a Service as `<svc>` or `<svc>.<ns>`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sluicegate.config import Settings

__all__ = ["replace_services", "resolve", "role_service", "service_map", "services_of_home"]

_ROLES = ("stable", "canary")  # of a canary Rollout's pods, each selected by a Service of its own
_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"  # a DNS label, as Service and namespace names are
_DNS_LABEL = re.compile(_LABEL)
#: `http(s)://<host>[:<port>]`, the address part of a URL; its host may name a Service (`_HOST`).
_ADDRESS = re.compile(r"https?://(?P<host>[A-Za-z0-9.-]+)(?::\d+)?")
#: A Service's host: `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.cluster.local`.
_HOST = re.compile(rf"(?P<svc>{_LABEL})(?:\.(?P<ns>[a-z0-9-]+))?(?P<domain>\.svc(?:\.cluster\.local)?)?")
#: What ends the address of a full Service URL in a step's text: a path, query or fragment, a quote, a comma,
#: white space, or the end of the text.
_END = re.compile(r"[/?#\s\"',]|$")


def role_service(rollout: str, role: str) -> str:
    """The Service that selects the `role` (`stable` or `canary`) pods of a canary Rollout: `<rollout>-<role>`."""
    return f"{rollout}-{role}"


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
        for role in _ROLES:
            out.setdefault(role_service(str(name), role), str(url))
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
    return replace_services(text, lambda svc, _ns: services.get(svc)) if ".svc" in text else text


def replace_services(text: str, local: Callable[[str, str | None], str | None], *, bare: bool = False) -> str:
    """`text` with each `http(s)://<host>[:<port>]` whose host names a Service replaced by `local(service, namespace)`.

    The host is `<svc>.<ns>.svc` or `<svc>.<ns>.svc.cluster.local`, and the address ends there (`_END`), as
    in a step's command. `bare` also takes `<svc>` and `<svc>.<ns>` (namespace None when not given), any
    namespace name and whatever follows the address: the forms the rollout controller maps in a metric
    provider. An address stays as it is where `local` returns None.
    """

    def swap(m: re.Match[str]) -> str:
        host = _HOST.fullmatch(m["host"])
        if host is None or not (bare or _cluster_url(host, text, m.end())):
            return m[0]
        target = local(host["svc"], host["ns"])
        return m[0] if target is None else target

    return _ADDRESS.sub(swap, text)


def _cluster_url(host: re.Match[str], text: str, end: int) -> bool:
    """Whether `host` is `<svc>.<ns>.svc[.cluster.local]` and the address ends at `end` of `text`."""
    ns = host["ns"]
    full = host["domain"] is not None and ns is not None and _DNS_LABEL.fullmatch(ns) is not None
    return full and _END.match(text, end) is not None


def services_of_home(home: Path) -> dict[str, str]:
    """`service_map` of the stack whose `endpoints.json` is in `home` (empty when there is none yet)."""
    try:
        return service_map(json.loads(Settings(home=home).endpoints_file.read_text()))
    except (FileNotFoundError, ValueError):
        return {}
