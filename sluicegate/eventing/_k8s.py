"""The `k8s` trigger: create, update, patch or delete an object in the store (Argo Events' standard K8s trigger).

Called by `_triggers.TriggerRunner` for a trigger template with `k8s`. The object comes from `source.inline`
(YAML text), `source.configmap` (a ConfigMap key holding YAML) or `source.resource` (`trigger_source`, which
argoWorkflow triggers read theirs with too); `parameters` are applied to it (to the live
object with `liveObject` on update); its namespace defaults to the Sensor's. As Argo Events: `create` adds the
`events.argoproj.io/sensor|trigger|action-timestamp` labels, `update` merges the object over the live one
(non-empty values win, lists are replaced) or creates it, `patch` applies it as a JSON merge patch (the default
`patchStrategy`) or creates it, `delete` removes it if it exists. A Workflow created this way is run by the
workflow controller like any other.
"""

from __future__ import annotations

import copy
import hashlib
import time
from typing import Any

import yaml

from sluicegate.errors import ManifestError, NotFoundError
from sluicegate.eventing._params import EventView, apply_parameters, parameters_of
from sluicegate.store import Store, merge_patch

__all__ = ["TRIGGER_KEY_LABEL", "k8s_trigger", "made_for", "trigger_key", "trigger_source"]

Doc = dict[str, Any]
_MERGE_PATCH = "application/merge-patch+json"


#: Label of what a trigger created, naming the (Sensor, trigger, events) it was created for.
TRIGGER_KEY_LABEL = "sluicegate.io/trigger-key"


def trigger_key(sensor: dict[str, Any], template: dict[str, Any], events: dict[str, EventView]) -> str:
    """A stable key of one trigger run: the Sensor, the trigger's name and the ids of the events it used.

    A restart re-runs an `atLeastOnce` trigger whose success was not recorded; the object it already created
    carries this key, so the run finds it instead of creating a second one.
    """
    meta = sensor.get("metadata") or {}
    ids = sorted(f"{dep}={(view.get('context') or {}).get('id', '')}" for dep, view in events.items())
    text = "\n".join([str(meta.get("namespace", "")), str(meta.get("name", "")), str(template.get("name", "")), *ids])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def made_for(store: Store, kind: str, namespace: str, key: str) -> str:
    """The name of the `kind` object a trigger run with `key` already created, or ''."""
    found = store.list(kind, namespace, labels={TRIGGER_KEY_LABEL: key})
    return str(found[0]["metadata"]["name"]) if found else ""


_NOT_LOCAL = ("s3", "file", "url", "git")


def _object(text: Any, where: str) -> Doc:
    try:
        loaded = yaml.safe_load(str(text))
    except yaml.YAMLError as e:
        raise ManifestError(f"is not valid YAML: {e}", where=where, fix="write the object as YAML") from None
    if not isinstance(loaded, dict):
        raise ManifestError("does not hold an object", where=where, fix="write the object as a YAML mapping")
    return loaded


def trigger_source(store: Store, source: Doc, namespace: str, where: str) -> Doc:
    """The object of a trigger's `source` (k8s or argoWorkflow), read as Argo Events' artifact readers read it.

    Their order decides when several are given: `s3`, `file`, `url` and `git` (not read locally: an error
    naming them), then `inline` (YAML text), `configmap` (a key holding YAML; the ConfigMap in the Sensor's
    namespace unless it names one) and `resource` (the object itself).
    """
    elsewhere = [k for k in _NOT_LOCAL if source.get(k) is not None]
    if elsewhere:
        raise ManifestError(
            f"source {elsewhere[0]!r} is not supported locally",
            where=f"{where}.source.{elsewhere[0]}",
            fix="put the object under source.resource or source.inline, or in a ConfigMap (source.configmap)",
        )
    if source.get("inline") is not None:
        return _object(source["inline"], f"{where}.source.inline")
    ref = source.get("configmap")
    if ref is not None:
        if not (isinstance(ref, dict) and ref.get("name") and ref.get("key")):
            raise ManifestError("needs name and key", where=f"{where}.source.configmap", fix="name the ConfigMap key")
        cm_ns = str(ref.get("namespace") or namespace)
        cm = store.try_get("ConfigMap", cm_ns, str(ref["name"]))
        text = ((cm or {}).get("data") or {}).get(str(ref["key"]))
        if text is None:
            raise ManifestError(
                f"ConfigMap {ref['name']!r} has no key {ref['key']!r}"
                if cm
                else f"ConfigMap {ref['name']!r} not found",
                where=f"{where}.source.configmap",
                fix="apply the ConfigMap with the object's YAML under that key",
            )
        return _object(text, f"{where}.source.configmap")
    if isinstance(source.get("resource"), dict):
        return copy.deepcopy(source["resource"])
    raise ManifestError(
        f"no object given ({sorted(source) or 'empty source'})",
        where=f"{where}.source",
        fix="put the object under source.resource (or source.inline as YAML text)",
    )


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == 0 or value is False or value == [] or value == {}


def _merge(live: Doc, new: Doc) -> Doc:
    """mergo.Merge(live, new, WithOverride): maps merge, non-empty values of `new` win, lists are replaced."""
    out = copy.deepcopy(live)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif not _empty(value):
            out[key] = copy.deepcopy(value)
    return out


def _failed(what: str) -> ManifestError:
    return ManifestError(what, where="k8s trigger", fix="fix the trigger's k8s section")


def k8s_trigger(store: Store, sensor: Doc, template: Doc, events: dict[str, EventView]) -> tuple[str, str]:
    """One attempt of a `k8s` trigger: (what it did, the Workflow it created if any); SluiceError on failure."""
    spec = template.get("k8s") or {}
    op = str(spec.get("operation") or "create")
    if op not in ("create", "update", "patch", "delete"):
        raise _failed(f"unknown operation type {op}")
    sensor_ns = str(sensor["metadata"].get("namespace", ""))
    obj = trigger_source(store, spec.get("source") or {}, sensor_ns, "k8s")
    kind = str(obj.get("kind") or "")
    if not kind:
        raise _failed("the k8s trigger's object has no kind")
    meta = obj.setdefault("metadata", {})
    namespace = str(meta.get("namespace") or sensor_ns)
    if spec.get("liveObject") and op == "update":
        if not meta.get("name"):
            raise _failed("resource name must be specified for fetching live object")
        obj = store.get(kind, namespace, str(meta["name"]))
    params = parameters_of(spec.get("parameters"))
    obj = apply_parameters(obj, params, events)
    meta = obj.setdefault("metadata", {})
    meta["namespace"] = namespace
    name = str(meta.get("name") or "")
    live = store.try_get(kind, namespace, name) if name else None
    if op == "delete":
        if live is None:
            return f"{kind} {namespace}/{name} not found, nothing to delete", ""
        store.delete(kind, namespace, name)
        return f"deleted {kind} {namespace}/{name}", ""
    if op == "create" or live is None:
        if op == "create":
            key = trigger_key(sensor, template, events)
            earlier = made_for(store, kind, namespace, key)
            if earlier:
                return f"{kind} {namespace}/{earlier} was already created for these events", (
                    earlier if kind == "Workflow" else ""
                )
            meta.setdefault("labels", {}).update(
                {
                    "events.argoproj.io/sensor": str(sensor["metadata"]["name"]),
                    "events.argoproj.io/trigger": str(template.get("name", "")),
                    "events.argoproj.io/action-timestamp": str(int(time.time() * 1000)),
                    TRIGGER_KEY_LABEL: key,
                }
            )
        obj.pop("status", None)
        created = store.create(obj)
        made = str(created["metadata"]["name"])
        return f"created {kind} {namespace}/{made}", made if kind == "Workflow" else ""
    if op == "update":
        updated = _merge(live, obj)
    else:
        strategy = str(spec.get("patchStrategy") or _MERGE_PATCH)
        if strategy != _MERGE_PATCH:
            raise _failed(f"patchStrategy {strategy!r} is not supported locally (use {_MERGE_PATCH})")
        updated = merge_patch(live, obj)
    updated["metadata"]["resourceVersion"] = live["metadata"].get("resourceVersion")
    try:
        store.update(updated)
    except NotFoundError as e:
        raise _failed(f"{kind} {namespace}/{name} disappeared during the {op}: {e.message}") from None
    return f"{'updated' if op == 'update' else 'patched'} {kind} {namespace}/{name}", ""
