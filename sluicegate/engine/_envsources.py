"""A container's environment from ConfigMaps and Secrets, as the kubelet builds it.

`envFrom[]` (`configMapRef` / `secretRef`, `prefix`, `optional`) first, every key a variable except those that
are not valid environment variable names (skipped, as the kubelet skips them); then `env[]`, whose entries win.
A `configMapKeyRef` / `secretKeyRef` (and an `envFrom` source) that is missing leaves its variables unset when
`optional: true`; otherwise the container cannot start (the kubelet's CreateContainerConfigError) and this
raises a `SluiceError` in Kubernetes' words (`configmap "x" not found`, `couldn't find key k in ConfigMap ns/x`).

Only the namespace's own objects are read: ConfigMaps and Secrets in the store (Secret `data` base64 as in
Kubernetes, `stringData` over it). A `secretKeyRef` whose Secret object does not exist falls back to the local
Secrets (`sluice secret set`, `resolve_secret`), which is where the stack hands steps `mlflow-auth`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from sluicegate.errors import NotFoundError, SluiceError
from sluicegate.store import Store

__all__ = ["env_from", "key_ref", "object_data"]

#: Kubernetes' `IsEnvVarName` (k8s.io/apimachinery validation): the names the kubelet keeps from `envFrom`.
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")

_KINDS = {"configMapKeyRef": "ConfigMap", "secretKeyRef": "Secret", "configMapRef": "ConfigMap", "secretRef": "Secret"}


def _decode(value: object, where: str) -> str:
    try:
        return base64.b64decode(str(value), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as e:
        raise SluiceError(
            f"Secret data is not base64 text ({e})",
            where=where,
            fix="write the value base64-encoded under data, or as plain text under stringData",
        ) from e


def object_data(store: Store, kind: str, namespace: str, name: str) -> dict[str, str] | None:
    """The keys of ConfigMap/Secret `namespace/name` (Secret values decoded), or None when it does not exist."""
    doc = store.try_get(kind, namespace, name)
    if doc is None:
        return None
    if kind == "ConfigMap":
        return {str(k): str(v) for k, v in (doc.get("data") or {}).items()}
    where = f"Secret {namespace}/{name}"
    data = {str(k): _decode(v, f"{where}, key {k!r}") for k, v in (doc.get("data") or {}).items()}
    data.update({str(k): str(v) for k, v in (doc.get("stringData") or {}).items()})
    return data


def _fail(what: str, where: str, kind: str) -> SluiceError:
    how = "sluice apply a ConfigMap" if kind == "ConfigMap" else "sluice apply a Secret (or sluice secret set)"
    return SluiceError(
        f"CreateContainerConfigError: {what}",
        where=where,
        fix=f"{how} with that name and key in the workflow's namespace, or mark the reference optional: true",
    )


def key_ref(
    store: Store,
    namespace: str,
    source: dict[str, Any],
    where: str,
    resolve_secret: Callable[[str, str], str] | None = None,
) -> str | None:
    """The value of an `env[].valueFrom` `configMapKeyRef`/`secretKeyRef`; None: unset (optional and missing)."""
    field = "configMapKeyRef" if "configMapKeyRef" in source else "secretKeyRef"
    ref = source.get(field) or {}
    kind, name, key = _KINDS[field], str(ref.get("name", "")), str(ref.get("key", ""))
    optional = ref.get("optional") is True
    data = object_data(store, kind, namespace, name)
    if data is None and kind == "Secret" and resolve_secret is not None:
        try:
            return resolve_secret(name, key)
        except NotFoundError:
            pass
    if data is None:
        if optional:
            return None
        raise _fail(f'{kind.lower()} "{name}" not found', where, kind)
    if key not in data:
        if optional:
            return None
        raise _fail(f"couldn't find key {key} in {kind} {namespace}/{name}", where, kind)
    return data[key]


def env_from(store: Store, namespace: str, sources: list[dict[str, Any]], where: str) -> dict[str, str]:
    """The variables of a container's `envFrom[]`, later sources over earlier ones, invalid names skipped."""
    env: dict[str, str] = {}
    for source in sources:
        field = "configMapRef" if "configMapRef" in source else "secretRef" if "secretRef" in source else ""
        if not field:
            continue
        ref = source.get(field) or {}
        kind, name = _KINDS[field], str(ref.get("name", ""))
        data = object_data(store, kind, namespace, name)
        if data is None:
            if ref.get("optional") is True:
                continue
            raise _fail(f'{kind.lower()} "{name}" not found', where, kind)
        prefix = str(source.get("prefix") or "")
        for key, value in data.items():
            if _ENV_NAME.fullmatch(prefix + key):
                env[prefix + key] = value
    return env
