"""Approval gates: a waiting `suspend` step whose template has `valueFrom.supplied` outputs, filled in from a form.

Called by `_gather` (`approval_gates`: the form a workflow page shows for each such step, one field per
output not yet supplied, as the Argo UI's Resume form) and by `_pages` (`supply`, the handler of
`POST /ui/workflows/{ns}/{name}/actions/supply`). A field takes its `enum` (a choice), `default` (prefilled)
and `description` from the output parameter, else from the step's input parameter of the same name (Argo's
"intermediate parameters" pattern). The handler checks the sign-in cookie, origin and CSRF token as every
UI action does (`_actions.posted_form`), refuses a value outside the field's `enum` before any write, then
runs what `PUT /api/v1/workflows/{ns}/{name}/set` and `.../resume` run (`engine.actions.set_node`, then
`resume`, both with `nodeFieldSelector` `id=<node>`, as the Argo UI does). A refused submission keeps its
values: the page is shown again with them and the reason, and nothing is set or resumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sluicegate.errors import ManifestError, SluiceError
from sluicegate.store import Store
from sluicegate.ui._actions import RUNNING, posted_form
from sluicegate.ui._session import set_notice, signed_in

__all__ = ["FIELD_PREFIX", "Field", "Gate", "Refusal", "approval_gates", "supply"]

Doc = dict[str, Any]

#: Form fields named `param.<output name>` carry the values; the others (`csrf`, `node`) are not parameters.
FIELD_PREFIX = "param."
#: Longest gate form body: the values plus a CSRF token.
_MAX_FORM = 65_536


@dataclass(frozen=True)
class Field:
    """One supplied output: its name, the value the form shows, its choices (empty: free text), its help."""

    name: str
    value: str
    enum: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Gate:
    """A suspend step waiting for values: its node id, its step name, and a field per unsupplied output."""

    node: str
    step: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Refusal:
    """A submission that set nothing: the node, the values as sent (shown again), and why."""

    node: str
    values: dict[str, str]
    reason: str


def _field(param: Doc, given: Doc, entered: Mapping[str, str]) -> Field:
    name = str(param.get("name", ""))
    source = param.get("valueFrom") or {}
    default = source.get("default", param.get("default", given.get("default", given.get("value", ""))))
    enum = param.get("enum") or given.get("enum") or []
    described = param.get("description") or given.get("description") or ""
    return Field(name, entered.get(name, str(default)), tuple(str(v) for v in enum), str(described))


def _gate(node: Doc, entered: Mapping[str, str]) -> Gate | None:
    if node.get("type") != "Suspend" or node.get("phase") != "Running":
        return None
    inputs = {p.get("name"): p for p in (node.get("inputs") or {}).get("parameters") or []}
    fields = tuple(
        _field(p, inputs.get(p.get("name")) or {}, entered)
        for p in (node.get("outputs") or {}).get("parameters") or []
        if "supplied" in (p.get("valueFrom") or {})
    )
    return Gate(str(node.get("id", "")), str(node.get("displayName", "")), fields) if fields else None


def approval_gates(wf: Doc, refusal: Refusal | None = None) -> list[Gate]:
    """The running workflow's suspend steps that wait for supplied outputs (a refused form keeps its values)."""
    status = wf.get("status") or {}
    if status.get("phase") not in RUNNING:
        return []
    gates = []
    for node in (status.get("nodes") or {}).values():
        entered = refusal.values if refusal is not None and refusal.node == node.get("id") else {}
        gate = _gate(node, entered)
        if gate is not None:
            gates.append(gate)
    return gates


def _check_choices(wf: Doc, node: str, values: Mapping[str, str]) -> None:
    """Refuse a missing value or one outside its field's `enum` (`set_node` names unknown names)."""
    gate = next((g for g in approval_gates(wf) if g.node == node), None)
    if gate is None:
        return  # set_node says why: the step is not waiting (any more)
    for field in gate.fields:
        value = values.get(field.name)
        if value is None:
            raise ManifestError(
                f"no value for output parameter '{field.name}'",
                where=f"step {gate.step!r}",
                fix="send the form of the workflow page, which has a field for each",
            )
        if field.enum and value not in field.enum:
            raise ManifestError(
                f"value {value!r} for output parameter '{field.name}' is not in enum {list(field.enum)}",
                where=f"step {gate.step!r}",
                fix="choose one of: " + ", ".join(field.enum),
            )


def _set_and_resume(store: Store, ns: str, name: str, node: str, values: dict[str, str]) -> None:
    from sluicegate.engine import actions  # the controller's own functions, as the API's set/resume routes call them

    _check_choices(store.get("Workflow", ns, name), node, values)
    actions.set_node(store, ns, name, f"id={node}", output_parameters=values)
    actions.resume(store, ns, name, node_field_selector=f"id={node}")


async def supply(request: Request, store: Store, token: str) -> Response | Refusal:
    """`POST .../actions/supply`: check, set the node's outputs and resume it, redirect back; or the refusal."""
    ns, name = request.path_params["namespace"], request.path_params["name"]
    page = f"/ui/workflows/{quote(ns)}/{quote(name)}"
    if not signed_in(request, token):
        return RedirectResponse(f"/ui/login?next={quote(page)}", status_code=303)
    form = await posted_form(request, token, _MAX_FORM)
    if isinstance(form, Response):
        return form
    node = form.get("node", [""])[0]
    values = {k.removeprefix(FIELD_PREFIX): v[0] for k, v in form.items() if k.startswith(FIELD_PREFIX)}
    try:
        if not node or not values:
            raise ManifestError(
                "the form names no step or no value", where="supply form", fix="send it from the workflow page"
            )
        await run_in_threadpool(_set_and_resume, store, ns, name, node, values)
    except SluiceError as e:
        return Refusal(node, values, f"resume {name} with values refused: {e.message}")
    response = RedirectResponse(page, status_code=303)
    shown = ", ".join(f"{k}={v}" for k, v in values.items())
    set_notice(request, response, True, f"workflow {name} resumed with {shown}")
    return response
