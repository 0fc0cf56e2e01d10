"""Resource templates acting on objects in the local store.

Resource templates acting on objects in the local store: get/create/apply/replace/patch/delete, then
`successCondition`/`failureCondition` in Argo's selector syntax (`status.phase == Healthy`,
`status.succeeded > 0`, `status.phase in (Failed, Error)`, comma = and).

Called by `_executor` in a worker thread. Conditions are evaluated only once `status.observedGeneration`
equals `metadata.generation` when the object reports an observed generation, so a condition is never met
by the status of the previous spec.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from typing import Any

import yaml

from sluicegate.engine._jobs import Job, Result
from sluicegate.errors import SluiceError
from sluicegate.lang import GJSON, MISSING, lookup, text_of
from sluicegate.store import Store, merge_patch

__all__ = ["condition_met", "run_resource"]

_REQ = re.compile(r"^\s*(!?)([\w.\-/\[\]]+)\s*(==|=|!=|>=|<=|>|<|\s+in\s+|\s+notin\s+)?\s*(.*?)\s*$")


def _lookup(obj: Any, path: str) -> Any:
    """The field at `path` (`status.conditions[0].type`), or None when it is not there."""
    value = lookup(obj, path)
    return None if value is MISSING else value


def _split(text: str) -> list[str]:
    parts, depth, buf = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    if buf.strip():
        parts.append(buf)
    return parts


def condition_met(condition: str, obj: dict[str, Any]) -> bool:
    """Whether every requirement of an Argo resource condition holds for `obj`."""
    for req in _split(condition):
        m = _REQ.match(req)
        if not m:
            raise SluiceError(f"invalid condition {req!r}", fix="use `path op value`, e.g. status.phase == Healthy")
        negate, path, op, raw = m.group(1), m.group(2), (m.group(3) or "").strip(), m.group(4)
        value = _lookup(obj, path)
        if not op:
            ok = value is not None
            if negate:
                ok = not ok
        elif op in ("in", "notin"):
            options = [v.strip() for v in raw.strip("()").split(",")]
            ok = value is not None and text_of(value, GJSON) in options
            ok = ok if op == "in" else not ok
        elif op in ("==", "="):
            ok = value is not None and text_of(value, GJSON) == raw
        elif op == "!=":
            ok = text_of(value, GJSON) != raw
        else:
            try:
                left, right = float(text_of(value, GJSON)), float(raw)
            except ValueError:
                return False
            ok = {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[op]
        if not ok:
            return False
    return True


def _json_patch(doc: Any, ops: list[dict[str, Any]]) -> Any:
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in str(op["path"]).split("/")[1:]]
        parent = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        kind = op["op"]
        if kind in ("add", "replace"):
            if isinstance(parent, list):
                idx = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(idx, op["value"])
                else:
                    parent[idx] = op["value"]
            else:
                parent[last] = op["value"]
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last, None)
        elif kind == "test":
            current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if current != op["value"]:
                raise SluiceError(f"json patch test failed at {op['path']}")
        else:
            raise SluiceError(f"json patch op {kind!r} is not supported", fix="use add, replace, remove or test")
    return doc


def _act(store: Store, action: str, manifest: dict[str, Any], strategy: str, namespace: str) -> dict[str, Any]:
    meta = manifest.setdefault("metadata", {})
    meta.setdefault("namespace", namespace)
    kind, ns, name = str(manifest.get("kind", "")), str(meta["namespace"]), str(meta.get("name", ""))
    if action == "create":
        return store.create(manifest)
    if action == "apply":
        return store.apply(manifest)[0]
    if action == "replace":
        return store.update(manifest)
    if action == "get":
        return store.get(kind, ns, name)
    if action == "delete":
        existing = store.try_get(kind, ns, name)
        if existing is not None:
            store.delete(kind, ns, name)
        return existing or manifest
    if action == "patch":
        if strategy == "json":
            raise SluiceError("json patch needs a list manifest")

        def apply_patch(doc: dict[str, Any]) -> dict[str, Any]:
            body = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
            body["metadata"] = {k: v for k, v in meta.items() if k not in ("name", "namespace")}
            return dict(merge_patch(doc, body))

        return store.mutate(kind, ns, name, apply_patch)
    raise SluiceError(
        f"resource action {action!r} is not supported", fix="use get, create, apply, replace, patch or delete"
    )


def run_resource(store: Store, job: Job, stopping: threading.Event) -> Result:
    """Perform the action, wait for the conditions, and return the node result."""
    res = job.template.get("resource") or {}
    action = str(res.get("action", ""))
    strategy = str(res.get("mergeStrategy") or "strategic")
    try:
        loaded = yaml.safe_load(str(res.get("manifest") or ""))
        if action == "patch" and strategy == "json":
            raise SluiceError("mergeStrategy json is not supported by the local engine", fix="use mergeStrategy: merge")
        if not isinstance(loaded, dict):
            raise SluiceError("resource manifest is not a YAML mapping", where=f"template {job.template.get('name')!r}")
        obj = _act(store, action, loaded, strategy, job.namespace)
    except (SluiceError, yaml.YAMLError) as e:
        return Result(job.key, "Failed", getattr(e, "message", str(e)))
    kind, meta = str(obj.get("kind", "")), obj.get("metadata") or {}
    ns, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    success, failure = res.get("successCondition"), res.get("failureCondition")
    since = store.head()
    while (success or failure) and action != "delete":
        current = store.try_get(kind, ns, name)
        if current is None:
            return Result(job.key, "Failed", f'{kind} "{name}" was deleted while waiting for its condition')
        status = current.get("status") or {}
        observed = status.get("observedGeneration")
        if observed is None or str(observed) == str((current.get("metadata") or {}).get("generation")):
            try:
                if failure and condition_met(str(failure), current):
                    return Result(job.key, "Failed", f"failure condition '{failure}' is met", _outputs(job, current))
                if success and condition_met(str(success), current):
                    obj = current
                    break
            except SluiceError as e:
                return Result(job.key, "Error", e.message)
        if stopping.is_set() or (job.deadline is not None and time.time() > job.deadline):
            return Result(job.key, "Failed", "Pod was active on the node longer than the specified deadline")
        changes = store.wait(since, 1.0)
        if changes:
            since = changes[-1].seq
    return Result(job.key, "Succeeded", "", _outputs(job, obj))


def _outputs(job: Job, obj: dict[str, Any]) -> dict[str, Any]:
    params = []
    for param in (job.template.get("outputs") or {}).get("parameters") or []:
        source = param.get("valueFrom") or {}
        path = str(source.get("jsonPath", "")).strip()
        if path:
            value = _lookup(obj, path.strip("{}").lstrip("."))
            params.append({"name": param["name"], "value": text_of(value, GJSON)})
    out: dict[str, Any] = {}
    if params:
        out["parameters"] = params
    return out
