"""The trigger types of the local runtime: `argoWorkflow`, `k8s`, `http`, `slack`, `log`.

Called by the sensor controller with a trigger template whose trigger-level parameters are already applied.
`argoWorkflow` with `operation: submit` (the default) creates the Workflow in the object store with the labels
Argo Events puts on it and its `args` applied as `argo submit` applies them (`_submit_args`); the workflow
controller picks it up from there. Its other operations (`submit-from`, `resubmit`, `resume`, `retry`,
`suspend`, `terminate`, `stop`) are the engine's verbs on the store (see `_workflow_ops`).
`k8s` creates, updates, patches or deletes any object in the store (the local stack's Kubernetes), as Argo
Events' standard K8s trigger does (see `_k8s`). `http` makes one request (see `_http`). `slack` posts
`chat.postMessage` to `SLUICE_SLACK_API_URL` (default https://slack.com/api) with the bot token from the
trigger's Secret; without a token it records a warning and succeeds, so a missing Slack setup never blocks
training.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx

from sluicegate.errors import NotFoundError, SluiceError
from sluicegate.eventing._http import HttpFailed, http_trigger, key_ref
from sluicegate.eventing._k8s import TRIGGER_KEY_LABEL, k8s_trigger, made_for, trigger_key, trigger_source
from sluicegate.eventing._params import EventView, apply_parameters, parameters_of
from sluicegate.eventing._submit_args import apply_submit_args
from sluicegate.eventing._workflow_ops import WorkflowVerbs, workflow_operation
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

__all__ = ["TriggerFailed", "TriggerResult", "TriggerRunner", "slack_api_url"]

log = logging.getLogger("sluicegate.events")
_TYPES = ("argoWorkflow", "k8s", "http", "slack", "log")


class TriggerFailed(Exception):
    """One attempt of a trigger failed; the message says why."""


@dataclass(frozen=True)
class TriggerResult:
    """What a successful trigger did."""

    message: str
    workflow: str = ""
    warning: bool = False


def slack_api_url() -> str:
    """Base URL of the Slack Web API (`SLUICE_SLACK_API_URL`, for tests and proxies)."""
    return os.environ.get("SLUICE_SLACK_API_URL", "https://slack.com/api").rstrip("/")


class TriggerRunner:
    """Runs trigger templates.

    Args:
        store: where argoWorkflow triggers create Workflows.
        secrets: Slack tokens and http secure headers.
        verbs: the workflow controller's verbs, for the argoWorkflow operations besides submit.
    """

    def __init__(self, store: Store, secrets: SecretStore, verbs: WorkflowVerbs | None = None) -> None:
        self.store = store
        self.secrets = secrets
        self.verbs = verbs
        self._http = httpx.Client(timeout=30.0)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def run(
        self,
        sensor: dict[str, Any],
        template: dict[str, Any],
        events: dict[str, EventView],
        policy: dict[str, Any] | None = None,
    ) -> TriggerResult:
        """One attempt of a trigger (`policy`: the trigger's own); TriggerFailed when it did not work."""
        kind = next((k for k in _TYPES if k in template), None)
        if kind is None:
            others = [k for k in template if k not in ("name", "conditions", "conditionsReset")]
            raise TriggerFailed(f"trigger type {others} is not supported locally (supported: {', '.join(_TYPES)})")
        try:
            if kind == "argoWorkflow":
                return self._workflow(sensor, template, events)
            if kind == "k8s":
                message, workflow = k8s_trigger(self.store, sensor, template, events)
                return TriggerResult(message, workflow=workflow)
            if kind == "http":
                return TriggerResult(
                    http_trigger(self._http, self.secrets, self.store, sensor, template, events, policy or {})
                )
            if kind == "slack":
                return self._slack(template["slack"] or {})
            log.info("sensor %s trigger %s: %s", sensor["metadata"]["name"], template.get("name"), sorted(events))
            return TriggerResult(f"logged {len(events)} event(s)")
        except SluiceError as e:
            raise TriggerFailed(e.message) from e
        except HttpFailed as e:
            raise TriggerFailed(str(e)) from e
        except httpx.HTTPError as e:
            raise TriggerFailed(f"{type(e).__name__}: {e}") from e

    def _workflow(
        self, sensor: dict[str, Any], template: dict[str, Any], events: dict[str, EventView]
    ) -> TriggerResult:
        spec = template["argoWorkflow"] or {}
        op = spec.get("operation") or "submit"
        wf = trigger_source(
            self.store, spec.get("source") or {}, sensor["metadata"].get("namespace", ""), "argoWorkflow"
        )
        params = parameters_of(spec.get("parameters"))
        wf = apply_parameters(wf, params, events)
        if op != "submit":
            key = trigger_key(sensor, template, events)
            namespace = sensor["metadata"].get("namespace", "")
            args = spec.get("args") or []
            message, name = workflow_operation(self.verbs, self.store, op, wf, namespace, args, key)
            return TriggerResult(message, workflow=name)
        meta = wf.setdefault("metadata", {})
        if not meta.get("name") and not meta.get("generateName"):
            raise TriggerFailed("failed to trigger the workflow, neither name nor generateName is given")
        sensor_meta = sensor["metadata"]
        meta["namespace"] = meta.get("namespace") or sensor_meta.get("namespace", "")
        meta.setdefault("labels", {}).update(
            {
                "events.argoproj.io/sensor": sensor_meta["name"],
                "events.argoproj.io/trigger": str(template.get("name", "")),
                "events.argoproj.io/action-timestamp": str(int(time.time() * 1000)),
            }
        )
        wf = apply_submit_args(wf, spec.get("args") or [])
        wf.setdefault("apiVersion", "argoproj.io/v1alpha1")
        wf.setdefault("kind", "Workflow")
        wf.pop("status", None)
        key = trigger_key(sensor, template, events)
        earlier = made_for(self.store, "Workflow", meta["namespace"], key)
        if earlier:
            return TriggerResult(
                f"Workflow {meta['namespace']}/{earlier} was already submitted for these events", earlier
            )
        meta["labels"][TRIGGER_KEY_LABEL] = key
        created = self.store.create(wf)
        name = created["metadata"]["name"]
        return TriggerResult(f"submitted Workflow {meta['namespace']}/{name}", workflow=name)

    def _slack(self, spec: dict[str, Any]) -> TriggerResult:
        ref = key_ref(spec.get("slackToken"))
        try:
            token = self.secrets.get(*ref) if ref else None
        except NotFoundError:
            token = None
        if not token:
            name, key = ref or ("slack-bot", "token")
            return TriggerResult(
                f"warning: no Slack token (secret {name}/{key}); message not sent. "
                f"Run `sluice secret set {name} {key} xoxb-...`",
                warning=True,
            )
        body: dict[str, Any] = {"channel": spec.get("channel", ""), "text": spec.get("message", "")}
        for key in ("blocks", "attachments"):
            raw = spec.get(key)
            if raw:
                try:
                    body[key] = json.loads(raw) if isinstance(raw, str) else raw
                except ValueError as e:
                    raise TriggerFailed(f"slack.{key} is not valid JSON: {e}") from e
        sender = spec.get("sender") or {}
        if sender.get("username"):
            body["username"] = sender["username"]
        url = f"{slack_api_url()}/chat.postMessage"
        r = self._http.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        try:
            reply = r.json()
        except ValueError:
            reply = {}
        if r.status_code != 200 or not reply.get("ok"):
            raise TriggerFailed(
                f"Slack chat.postMessage failed: HTTP {r.status_code} {reply.get('error', r.text[:200])}"
            )
        return TriggerResult(f"posted to Slack channel {body['channel']}")
