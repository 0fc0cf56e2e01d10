"""The `http` trigger: one HTTP request built from the events, judged by the trigger's status policy.

Called by `_triggers.TriggerRunner` for a trigger template with `http`. As Argo Events' HTTP trigger: the
template's `http.parameters` are applied to the http section itself (`dest: url`), then the request gets
the JSON `payload` built from its parameters, `headers`, `dynamicHeaders` (values from the events),
`secureHeaders` (values from a Secret or a ConfigMap key in the Sensor's namespace, one trailing newline
dropped) and `basicAuth` (username and password from Secrets). The trigger's `policy.status.allow` sits
in the Sensor beside the template (`spec.triggers[].policy`): an answer with a listed status succeeds, any
other fails the trigger. Without a status policy any 2xx succeeds (an addition: Argo Events accepts
every answer then). `tls` fails the trigger (not applied locally).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from sluicegate.errors import ManifestError, NotFoundError
from sluicegate.eventing._model import TriggerParameter
from sluicegate.eventing._params import EventView, apply_parameters, has_value, parameters_of, resolve_parameter
from sluicegate.lang import as_string
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

__all__ = ["HttpFailed", "http_trigger", "key_ref"]

Doc = dict[str, Any]


class HttpFailed(Exception):
    """The request was made and its answer fails the trigger; the message says why."""


def key_ref(value: Any) -> tuple[str, str] | None:
    """(name, key) of a `secretKeyRef` / `configMapKeyRef`, or None when either is missing."""
    if isinstance(value, dict) and value.get("name") and value.get("key"):
        return str(value["name"]), str(value["key"])
    return None


def _allowed_statuses(policy: Doc) -> list[int] | None:
    """`policy.status.allow` as numbers; None when the trigger has no status policy."""
    allow = (policy.get("status") or {}).get("allow")
    if allow is None:
        return None
    try:
        return [int(code) for code in allow]
    except (TypeError, ValueError):
        raise ManifestError(
            f"policy.status.allow {allow!r} is not a list of HTTP status codes",
            where="triggers[].policy.status.allow",
            fix="list the allowed status codes, e.g. [200, 201]",
        ) from None


def _secret(secrets: SecretStore, ref: tuple[str, str]) -> str:
    return secrets.get(*ref).removesuffix("\n")


def _secure_header(secrets: SecretStore, store: Store, namespace: str, header: Doc, where: str) -> str:
    source = header.get("valueFrom") or {}
    secret, config = key_ref(source.get("secretKeyRef")), key_ref(source.get("configMapKeyRef"))
    if secret:
        return _secret(secrets, secret)
    if config:
        cm = store.try_get("ConfigMap", namespace, config[0])
        value = ((cm or {}).get("data") or {}).get(config[1])
        if value is None:
            raise NotFoundError(
                f"ConfigMap {namespace}/{config[0]} has no key {config[1]!r}",
                where=f"{where}.valueFrom.configMapKeyRef",
                fix="apply the ConfigMap with that key",
            )
        return str(value).removesuffix("\n")
    raise ManifestError(
        "a secureHeader needs valueFrom.secretKeyRef or valueFrom.configMapKeyRef (name and key)",
        where=where,
        fix="name the Secret or ConfigMap key holding the header's value",
    )


def _headers(
    secrets: SecretStore, store: Store, namespace: str, spec: Doc, events: dict[str, EventView]
) -> dict[str, str]:
    headers = {str(k): str(v) for k, v in (spec.get("headers") or {}).items()}
    for p in parameters_of(spec.get("dynamicHeaders")):
        headers[p.dest] = as_string(resolve_parameter(p.src, events))
    for i, sh in enumerate(spec.get("secureHeaders") or []):
        headers[str(sh.get("name"))] = _secure_header(secrets, store, namespace, sh, f"http.secureHeaders[{i}]")
    return headers


def _payload(params: list[TriggerParameter], events: dict[str, EventView]) -> bytes:
    """The request body as Argo Events' ConstructPayload builds it: nothing without payload parameters.

    Each parameter writes its value at `dest` in a JSON object (compact, as sjson writes it); one with an
    empty `dest` whose value resolves makes that value, as it is, the whole body.
    """
    for p in params:
        if not p.dest and has_value(p, events):
            return as_string(resolve_parameter(p.src, events)).encode()
    if not params:
        return b""
    body = apply_parameters({}, [p for p in params if p.dest], events)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _basic_auth(secrets: SecretStore, spec: Doc) -> tuple[str, str] | None:
    basic = spec.get("basicAuth")
    if not isinstance(basic, dict):
        return None
    user, password = key_ref(basic.get("username")), key_ref(basic.get("password"))
    return (_secret(secrets, user) if user else "", _secret(secrets, password) if password else "")


def http_trigger(
    client: httpx.Client,
    secrets: SecretStore,
    store: Store,
    sensor: Doc,
    template: Doc,
    events: dict[str, EventView],
    policy: Doc,
) -> str:
    """One attempt of an `http` trigger: what it did; HttpFailed on a refused answer, SluiceError before one.

    `policy` is the trigger's own (`triggers[].policy`, beside the template in the Sensor).
    """
    spec = apply_parameters(
        copy.deepcopy(template["http"] or {}), parameters_of((template["http"] or {}).get("parameters")), events
    )
    url = str(spec.get("url") or "")
    if not url:
        raise ManifestError("http trigger has no url", where="http.url", fix="set the url to call")
    if spec.get("tls"):
        raise ManifestError(
            "client TLS settings are not supported locally",
            where="http.tls",
            fix="leave tls out locally (an https url is verified against the system's CAs)",
        )
    payload = _payload(parameters_of(spec.get("payload")), events)
    namespace = str(sensor["metadata"].get("namespace", ""))
    headers = _headers(secrets, store, namespace, spec, events)
    auth = _basic_auth(secrets, spec)
    allowed = _allowed_statuses(policy)
    timeout = float(spec.get("timeout") or 60)
    method = str(spec.get("method") or "POST").upper()
    r = client.request(method, url, content=payload, headers=headers, timeout=timeout, auth=auth)
    if allowed is not None:
        if r.status_code not in allowed:
            raise HttpFailed(
                f"policy application resulted in failure. http response status {r.status_code} is not allowed "
                f"(policy.status.allow: {allowed}); {method} {url} answered: {r.text[:200]}"
            )
    elif not 200 <= r.status_code < 300:
        raise HttpFailed(f"{method} {url} answered {r.status_code}: {r.text[:200]}")
    return f"{method} {url} -> {r.status_code}"
