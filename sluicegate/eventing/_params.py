"""Trigger parameters: resolve a value from the events that fired, and write it into a document.

Called by the sensor controller on both kinds of parameters: trigger-level ones (applied to the trigger
template, e.g. `dest: slack.message`) and resource-level ones (applied to the argoWorkflow resource, e.g.
`dest: spec.arguments.parameters.0.value`). Resolution order follows Argo Events: context key/template,
then data template, then data key, then the default `value`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sluicegate.errors import ManifestError
from sluicegate.eventing._model import TriggerParameter, TriggerParameterSource
from sluicegate.lang import MISSING, TemplateError, as_string, get_path, render, set_path

__all__ = [
    "EventView",
    "apply_parameters",
    "argo_context",
    "has_value",
    "marshal_event",
    "parameters_of",
    "resolve_parameter",
]

#: What a parameter sees of one event: its CloudEvent context and its data.
EventView = dict[str, Any]


def argo_context(context: dict[str, Any]) -> dict[str, Any]:
    """The event context as Argo Events shows it to parameters: `time` in RFC 3339 without fractions."""
    stamp = context.get("time")
    if isinstance(stamp, str) and "." in stamp:
        return {**context, "time": stamp.split(".", 1)[0] + "Z"}
    return context


def _go_json(value: Any) -> str:
    """JSON as Go's encoding/json writes it: compact, map keys sorted, `<`, `>` and `&` escaped."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _go_struct(fields: dict[str, Any]) -> str:
    """A Go struct's JSON: its fields in declaration order (not sorted as a map's keys are)."""
    return "{" + ",".join(f"{json.dumps(k)}:{_go_json(v)}" for k, v in fields.items()) + "}"


def marshal_event(context: dict[str, Any], data: Any) -> str:
    """The whole event, as a parameter with only `dependencyName` gets it (Argo Events' `json.Marshal(event)`).

    `data` is bytes in Argo Events, so it comes out as the base64 of the data's JSON.
    """
    raw = _go_json(data).encode()
    fields = ("id", "source", "specversion", "type", "datacontenttype", "subject", "time")  # EventContext's order
    ordered = {key: context.get(key, "") for key in fields}
    body = _go_struct(ordered)
    return '{"context":' + body + ',"data":' + json.dumps(base64.b64encode(raw).decode()) + "}"


def _fallback(src: TriggerParameterSource, why: str) -> Any:
    if src.value is not None:
        return src.value
    raise ManifestError(
        why,
        where=f"parameters[].src (dependencyName {src.dependency_name})",
        fix="set src.value as a default, or fix the key",
    )


def resolve_parameter(src: TriggerParameterSource, events: dict[str, EventView]) -> Any:
    """The value of one parameter source; raw JSON values only with `useRawData`, else a string."""
    event = events.get(src.dependency_name)
    if event is None:
        return _fallback(src, f"no event for dependency {src.dependency_name!r}")
    context, data = argo_context(event["context"]), event["data"]
    if not (src.context_key or src.context_template or src.data_key or src.data_template) and src.value is None:
        return marshal_event(context, data)
    if src.context_key:
        got = get_path(context, src.context_key)
        return _fallback(src, f"context key {src.context_key!r} not found") if got is MISSING else as_string(got)
    try:
        if src.context_template:
            out = render(src.context_template, {"Input": context})
            if out not in ("", "<no value>"):
                return out
        if src.data_template:
            out = render(src.data_template, {"Input": data})
            if out not in ("", "<no value>"):
                return out
    except TemplateError as e:
        return _fallback(src, f"template failed: {e}")
    if src.data_key:
        got = get_path(data, src.data_key)
        if got is not MISSING:
            return got if src.use_raw_data else as_string(got)
        return _fallback(src, f"data key {src.data_key!r} not found in the event")
    return _fallback(src, "the template produced no value")


def parameters_of(raw: Any) -> list[TriggerParameter]:
    """A trigger template's `parameters` list (as written in the Sensor) as models."""
    return [TriggerParameter.model_validate(p) for p in raw or []]


def has_value(p: TriggerParameter, events: dict[str, EventView]) -> bool:
    """Whether `p` resolves: its dependency has an event, or it has a default `value` (else Argo Events skips it)."""
    return p.src.dependency_name in events or p.src.value is not None


def apply_parameters(doc: Any, params: list[TriggerParameter], events: dict[str, EventView]) -> Any:
    """Write every parameter into `doc` (mutated and returned).

    A parameter of a dependency without an event (a trigger fired by an `||` condition) and without a
    default `value` is skipped, as Argo Events skips it.
    """
    for p in params:
        if not has_value(p, events):
            continue
        value = resolve_parameter(p.src, events)
        if p.operation in ("append", "prepend"):
            current = get_path(doc, p.dest)
            cur = "" if current is MISSING else as_string(current)
            value = cur + as_string(value) if p.operation == "append" else as_string(value) + cur
        try:
            doc = set_path(doc, p.dest, value)
        except KeyError as e:
            raise ManifestError(
                f"cannot write to dest {p.dest!r}: {e}",
                where="parameters[].dest",
                fix="use a path like spec.arguments.parameters.0.value",
            ) from e
    return doc
