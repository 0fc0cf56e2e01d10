"""The UI's buttons: Promote / Abort / Retry on a rollout page, Stop / Resume / Retry... on a workflow page.

Called by `_pages` (the routes) and the page templates (which buttons a page shows, `rollout_buttons` and
`workflow_buttons`). A button is a small form that POSTs to `/ui/<kind>/<ns>/<name>/actions/<verb>` with the
session's CSRF token. The handler checks, before any work, the sign-in cookie, that the request comes from
the UI's own origin, and the CSRF token (`_session`); then it runs the same function the API runs for that
verb in a worker thread, and redirects back to the page (303) with the outcome shown once at the top.
`_gates` reads its approval form through the same checks (`posted_form`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from sluicegate.documents import RolloutDoc
from sluicegate.errors import SluiceError
from sluicegate.rollouts import _actions as rollout_actions
from sluicegate.store import Store
from sluicegate.ui._session import CSRF_FIELD, check_same_origin, csrf_matches, set_notice, signed_in

__all__ = ["RUNNING", "Button", "posted_form", "rollout_buttons", "run_action", "workflow_buttons"]

Doc = dict[str, Any]

#: Longest action form body (a CSRF token).
_MAX_FORM = 4096
#: The workflow phases of a workflow that has not finished.
RUNNING = ("", "Pending", "Running", None)


@dataclass(frozen=True)
class Button:
    """One action button: its verb (URL part), label, whether it applies now, and why not."""

    verb: str
    label: str
    enabled: bool
    hint: str


def rollout_buttons(rollout: RolloutDoc) -> list[Button]:
    """Promote, Promote full, Abort and Retry, enabled as the Rollout's state allows."""
    updating, aborted = bool(rollout.status.canary_model), bool(rollout.status.abort)
    live = updating and not aborted
    no_update = "no update in progress" if not aborted else "aborted: retry first"
    return [
        Button("promote", "Promote", live, "unpause, or skip the current step" if live else no_update),
        Button("promote-full", "Promote full", live, "skip every remaining step and analysis" if live else no_update),
        Button("abort", "Abort", live, "all traffic back to the stable model" if live else no_update),
        Button("retry", "Retry", aborted, "start the steps again" if aborted else "only after an abort"),
    ]


def workflow_buttons(wf: Doc) -> list[Button]:
    """Stop, Terminate, Suspend, Resume, Retry and Resubmit, enabled as the Workflow's phase allows."""
    from sluicegate.engine.actions import is_suspended  # as below: the engine loads when a page needs it

    phase = (wf.get("status") or {}).get("phase")
    running, suspended = phase in RUNNING, is_suspended(wf)
    failed = phase in ("Failed", "Error")
    done = "the workflow has finished"
    return [
        Button("stop", "Stop", running, "no new steps; exit handlers still run" if running else done),
        Button("terminate", "Terminate", running, "end now, exit handlers included" if running else done),
        Button("suspend", "Suspend", running and not suspended, "pause before the next steps" if running else done),
        Button("resume", "Resume", running and suspended, "continue" if suspended else "not suspended"),
        Button("retry", "Retry", failed, "run the failed steps again" if failed else "only a failed workflow"),
        Button("resubmit", "Resubmit", not running, "a new workflow with the same spec" if not running else "running"),
    ]


def _rollout_action(verb: str) -> Callable[[Store, str, str], Doc]:
    calls: dict[str, Callable[[Store, str, str], Doc]] = {
        "promote": rollout_actions.promote,
        "promote-full": lambda store, ns, name: rollout_actions.promote(store, ns, name, full=True),
        "abort": rollout_actions.abort,
        "retry": rollout_actions.retry,
    }
    return calls[verb]


def _workflow_action(verb: str) -> Callable[[Store, str, str], Doc]:
    from sluicegate.engine import actions  # the controller's own functions, as the API's routes call them

    fn: Callable[[Store, str, str], Doc] = getattr(actions, verb)
    return fn


#: verb -> (what the notice says, e.g. "workflow X stopped")
_DONE = {
    "promote": "promoted",
    "promote-full": "fully promoted",
    "abort": "aborted",
    "retry": "retried",
    "stop": "stopped",
    "terminate": "terminated",
    "suspend": "suspended",
    "resume": "resumed",
    "resubmit": "resubmitted",
}
_VERBS = {
    "rollouts": ("promote", "promote-full", "abort", "retry"),
    "workflows": ("stop", "terminate", "suspend", "resume", "retry", "resubmit"),
}


def _refused(request: Request, token: str, form: dict[str, list[str]]) -> str:
    why = check_same_origin(request)
    if why:
        return why
    given = form.get(CSRF_FIELD, [""])[0] or request.headers.get("x-csrf-token", "")
    if not csrf_matches(request, token, given):
        return "the form's CSRF token does not match this session; reload the page and try again"
    return ""


async def posted_form(request: Request, token: str, limit: int = _MAX_FORM) -> dict[str, list[str]] | Response:
    """The fields of a same-origin form post that carries this session's CSRF token; else the refusal (413, 403)."""
    body = await request.body()
    if len(body) > limit:
        return PlainTextResponse(f"the form is too large ({len(body)} bytes, at most {limit})", status_code=413)
    form = parse_qs(body.decode(errors="replace"), keep_blank_values=True)
    why = _refused(request, token, form)
    return PlainTextResponse(why, status_code=403) if why else form


async def run_action(request: Request, store: Store, token: str, kind: str) -> Response:
    """`POST /ui/{kind}/{namespace}/{name}/actions/{verb}`: check, act in a worker thread, redirect back."""
    ns, name, verb = (request.path_params[k] for k in ("namespace", "name", "verb"))
    page = f"/ui/{kind}/{quote(ns)}/{quote(name)}"
    if not signed_in(request, token):
        return RedirectResponse(f"/ui/login?next={quote(page)}", status_code=303)
    if verb not in _VERBS[kind]:
        return PlainTextResponse(f"unknown action {verb!r}; use one of {', '.join(_VERBS[kind])}", status_code=404)
    form = await posted_form(request, token)
    if isinstance(form, Response):
        return form
    fn = _rollout_action(verb) if kind == "rollouts" else _workflow_action(verb)
    what = "Rollout" if kind == "rollouts" else "workflow"
    try:
        doc = await run_in_threadpool(fn, store, ns, name)
    except SluiceError as e:
        response = RedirectResponse(page, status_code=303)
        why = f"{e.what}; {e.fix}" if e.fix else e.what
        set_notice(request, response, False, f"{verb} {what} {name} failed: {why}")
        return response
    if verb == "resubmit":
        new = str(doc["metadata"]["name"])
        page = f"/ui/{kind}/{quote(ns)}/{quote(new)}"
        text = f"workflow {name} resubmitted as {new}"
    else:
        text = f"{what} {name} {_DONE[verb]}"
    response = RedirectResponse(page, status_code=303)
    set_notice(request, response, True, text)
    return response
