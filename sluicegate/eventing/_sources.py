"""EventSource documents read into the endpoints the local runtime serves (github and webhook types).

Called by the events Part when it (re)builds its HTTP servers from the EventSources in the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sluicegate.errors import ManifestError
from sluicegate.eventing._source_filter import filter_expression

__all__ = ["MAX_BODY", "Endpoint", "endpoints_of", "unsupported_types"]

#: GitHub caps webhook payloads at 25 MB; bigger bodies get 413 whatever the EventSource says.
MAX_BODY = 25 * 1024 * 1024
_DEFAULT_MAX = 1024 * 1024  # Argo's default maxPayloadSize
_SERVED = ("github", "webhook", "calendar")  # calendar: timers of `_calendar`, not HTTP endpoints
_NOT_TYPES = ("eventBusName", "service", "template", "replicas")


@dataclass(frozen=True)
class Endpoint:
    """One event of an EventSource, served at `port` + `path`."""

    namespace: str
    source: str
    event: str
    type: str  # github | webhook
    port: int
    path: str
    method: str = "POST"
    max_body: int = _DEFAULT_MAX
    metadata: dict[str, str] = field(default_factory=dict)
    secret: tuple[str, str] | None = None  # github webhookSecret
    auth_secret: tuple[str, str] | None = None  # webhook authSecret (Bearer token)
    events: tuple[str, ...] = ()  # github event types wanted
    filter: str | None = None  # the event's filter.expression (None: no filter)

    @property
    def where(self) -> str:
        """`EventSource/<name>: spec.<type>.<event>` for error messages."""
        return f"EventSource/{self.source}: spec.{self.type}.{self.event}"


def _ref(value: Any) -> tuple[str, str] | None:
    if isinstance(value, dict) and value.get("name") and value.get("key"):
        return str(value["name"]), str(value["key"])
    return None


def _port(raw: Any, where: str) -> int:
    try:
        port = int(str(raw))
    except ValueError:
        raise ManifestError(
            f"port {raw!r} is not a number", where=f"{where}.port", fix='set e.g. port: "12000"'
        ) from None
    if not 0 < port < 65536:
        raise ManifestError(f"port {port} is out of range", where=f"{where}.port", fix="use 1-65535")
    return port


def _context(doc: dict[str, Any], kind: str, event: str, ctx: dict[str, Any], **extra: Any) -> Endpoint:
    meta = doc.get("metadata") or {}
    where = f"EventSource/{meta.get('name')}: spec.{kind}.{event}"
    path = str(ctx.get("endpoint") or "")
    if not path.startswith("/"):
        raise ManifestError(f"endpoint {path!r} must start with /", where=f"{where}.endpoint", fix="e.g. /push")
    limit = int(ctx.get("maxPayloadSize") or _DEFAULT_MAX)
    return Endpoint(
        namespace=str(meta.get("namespace", "")),
        source=str(meta.get("name", "")),
        event=event,
        type=kind,
        port=_port(ctx.get("port"), where),
        path=path,
        method=str(ctx.get("method") or "POST").upper(),
        max_body=min(limit, MAX_BODY) if limit > 0 else MAX_BODY,
        metadata={str(k): str(v) for k, v in (ctx.get("metadata") or {}).items()},
        auth_secret=_ref(ctx.get("authSecret")),
        **extra,
    )


def endpoints_of(doc: dict[str, Any]) -> list[Endpoint]:
    """The served endpoints of one EventSource document."""
    spec = doc.get("spec") or {}
    out: list[Endpoint] = []
    for event, cfg in (spec.get("webhook") or {}).items():
        out.append(_context(doc, "webhook", str(event), cfg or {}, filter=filter_expression(cfg)))
    for event, cfg in (spec.get("github") or {}).items():
        cfg = cfg or {}
        out.append(
            _context(
                doc,
                "github",
                str(event),
                cfg.get("webhook") or {},
                secret=_ref(cfg.get("webhookSecret")),
                events=tuple(str(e) for e in cfg.get("events") or ()),
                filter=filter_expression(cfg),
            )
        )
    return out


def unsupported_types(doc: dict[str, Any]) -> list[str]:
    """Event source types in this document the local runtime does not serve."""
    return [k for k in (doc.get("spec") or {}) if k not in _NOT_TYPES and k not in _SERVED]
