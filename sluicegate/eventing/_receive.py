"""Receiving one webhook request as an Argo Events EventSource does: check, wrap, store, answer.

Called by the HTTP servers of `_server` for every request on an EventSource endpoint. The event is stored
in the journal (durably) before the caller answers 200. Answers, in order of checks:
401 bad bearer token (`authSecret`, checked first and before the body is read, as Argo Events does:
`Invalid Authorization Header` without `Bearer `, `Invalid Auth token` for a wrong one; 500 `Error
loading auth token` when the Secret is missing) · 405 wrong method · 413 body over the limit ·
403 missing or wrong GitHub signature (nothing stored) · 400 malformed body · 200 `success` (stored),
`duplicate` (replayed delivery, nothing new) or `ignored` (an event type the source does not want, or
data its `filter.expression` rejects; stored as Ignored). A journaled `Authorization` header reads
`*** Masked Auth Secret ***`, as Argo Events masks it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from sluicegate.errors import NotFoundError
from sluicegate.eventing._journal import precise_now, record_event
from sluicegate.eventing._source_filter import passes
from sluicegate.eventing._sources import Endpoint
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

__all__ = ["Answer", "Receiver", "canonical_header"]

_SECRET_HEADERS = frozenset({"cookie", "proxy-authorization"})
_MASKED_AUTH = "*** Masked Auth Secret ***"  # what Argo Events writes over the Authorization header


@dataclass(frozen=True)
class Answer:
    """HTTP status and text body to send back."""

    status: int
    text: str


def canonical_header(name: str) -> str:
    """Go's `CanonicalMIMEHeaderKey`: `x-github-event` -> `X-Github-Event`."""
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


def _signature_ok(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    sig256 = headers.get("x-hub-signature-256", "")
    if sig256.startswith("sha256="):
        want = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, sig256[7:].strip())
    sig1 = headers.get("x-hub-signature", "")
    if sig1.startswith("sha1="):
        want = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        return hmac.compare_digest(want, sig1[5:].strip())
    return False


def _parse(body: bytes, content_type: str, github: bool) -> Any:
    """The body as Argo Events captures it; ValueError when malformed."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        if github:
            if "payload" not in form:
                raise ValueError("form body without a payload field")
            return json.loads(form["payload"][0])
        return form
    if not body.strip():
        raise ValueError("empty body")
    return json.loads(body)


class Receiver:
    """The checks and wrapping of every EventSource endpoint, shared by all ports.

    Args:
        store: where events are journaled.
        secrets: where `webhookSecret` / `authSecret` values are read.
        on_event: called (with the stored document) after a new Pending event is stored.
    """

    def __init__(self, store: Store, secrets: SecretStore, on_event: Callable[[dict[str, Any]], None]) -> None:
        self.store = store
        self.secrets = secrets
        self.on_event = on_event
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def handle(self, ep: Endpoint, method: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """Process one request; `headers` keys must be lower-case."""
        denied = self.bearer(ep, headers)
        if denied is not None:
            return denied
        if method.upper() != ep.method:
            self._count("rejected")
            return Answer(405, f"method {method} not allowed; this endpoint takes {ep.method}")
        if len(body) > ep.max_body:
            self._count("rejected")
            return Answer(413, f"request too large: {len(body)} bytes, the limit is {ep.max_body}")
        denied = self._authorize(ep, headers, body)
        if denied is not None:
            self._count("rejected")
            return denied
        try:
            payload = _parse(body, headers.get("content-type", "application/json"), ep.type == "github")
        except (ValueError, UnicodeDecodeError) as e:
            self._count("malformed")
            return Answer(400, f"malformed body: {e}")
        return self._store(ep, headers, payload)

    def bearer(self, ep: Endpoint, headers: Mapping[str, str]) -> Answer | None:
        """Argo Events' `authSecret` check (None: allowed); the servers call it before reading the body."""
        if ep.auth_secret is None:
            return None
        token = self.secrets.try_get(*ep.auth_secret)
        if token is None:
            self._count("rejected")
            return Answer(500, "Error loading auth token")
        token = token.removesuffix("\n")  # as Argo Events reads a Secret file written by an editor
        given = headers.get("authorization", "")
        if not given.startswith("Bearer "):
            self._count("rejected")
            return Answer(401, "Invalid Authorization Header")
        if not hmac.compare_digest(given[len("Bearer ") :].encode(), token.encode()):
            self._count("rejected")
            return Answer(401, "Invalid Auth token")
        return None

    def _authorize(self, ep: Endpoint, headers: Mapping[str, str], body: bytes) -> Answer | None:
        if ep.type != "github" or ep.secret is None:
            return None
        try:
            secret = self.secrets.get(*ep.secret)
        except NotFoundError as e:
            return Answer(503, f"{ep.where}: {e.message}")
        if not _signature_ok(secret, body, headers):
            return Answer(403, "missing or invalid X-Hub-Signature-256")
        return None

    def _store(self, ep: Endpoint, headers: Mapping[str, str], payload: Any) -> Answer:
        # the journal is readable through the API and UI: never keep credentials in it
        multi = {canonical_header(k): ["<redacted>" if k in _SECRET_HEADERS else v] for k, v in headers.items()}
        if headers.get("authorization"):
            multi["Authorization"] = [_MASKED_AUTH]
        phase, message = "Pending", ""
        if ep.type == "github":
            if not isinstance(payload, dict):
                self._count("malformed")
                return Answer(400, "malformed body: a GitHub payload must be a JSON object")
            kind = headers.get("x-github-event", "")
            delivery = headers.get("x-github-delivery") or None
            payload["X-GitHub-Event"] = kind
            payload["X-GitHub-Delivery"] = delivery or ""
            data: dict[str, Any] = {"headers": multi, "body": payload, "metadata": dict(ep.metadata)}
            if ep.events and "*" not in ep.events and kind not in ep.events:
                phase, message = "Ignored", f"event type {kind or '(none)'!r} is not one of {list(ep.events)}"
        else:
            delivery = headers.get("ce-id") or None
            data = {"header": multi, "body": payload, "metadata": dict(ep.metadata)}
        if phase == "Pending" and ep.filter is not None:
            publish, why = passes(ep.filter, data, f"{ep.where}.filter")
            phase, message = ("Pending", "") if publish else ("Ignored", why)
        context = {
            "id": uuid.uuid4().hex,
            "source": ep.source,
            "subject": ep.event,
            "type": ep.type,
            "specversion": "1.0",
            "datacontenttype": "application/json",
            "time": precise_now(),
        }
        doc, created = record_event(
            self.store, ep.namespace, ep.source, ep.event, delivery, context, data, phase=phase, message=message
        )
        if not created:
            self._count("duplicates")
            return Answer(200, "duplicate delivery; already received")
        self._count("received")
        if phase == "Ignored":
            self._count("ignored")
            return Answer(200, f"ignored: {message}")
        self.on_event(doc)
        return Answer(200, "success")
