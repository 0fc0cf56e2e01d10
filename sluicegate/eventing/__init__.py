"""The local Argo Events runtime of the embedded stack (the `events` part of `sluice up`).

EventSource endpoints (github, webhook) are served as Argo Events serves them, every event is journaled
in the object store before it is acknowledged, and a sensor controller runs the Sensors' filters and
triggers (argoWorkflow, k8s, http, slack, log) against the journal. See `_part` for the entry point.
"""

from sluicegate.eventing._controller import SensorController, conditions_hold
from sluicegate.eventing._filters import filter_event
from sluicegate.eventing._journal import EVENT_KIND, event_name, list_events, prune_events, record_event
from sluicegate.eventing._model import SensorSpec
from sluicegate.eventing._params import apply_parameters, resolve_parameter
from sluicegate.eventing._part import MLFLOW_AUTH_SECRET, OUTCOME_AUTH_SECRET, RELAY_SECRET, EventsPart
from sluicegate.eventing._receive import Answer, Receiver
from sluicegate.eventing._sources import Endpoint, endpoints_of
from sluicegate.eventing._triggers import TriggerFailed, TriggerRunner, slack_api_url
from sluicegate.eventing._workflow_ops import WorkflowVerbs
from sluicegate.lang import MISSING, ExprError, TemplateError, get_path, render, set_path
from sluicegate.lang import evaluate_govaluate as evaluate

__all__ = [
    "EVENT_KIND",
    "MISSING",
    "MLFLOW_AUTH_SECRET",
    "OUTCOME_AUTH_SECRET",
    "RELAY_SECRET",
    "Answer",
    "Endpoint",
    "EventsPart",
    "ExprError",
    "Receiver",
    "SensorController",
    "SensorSpec",
    "TemplateError",
    "TriggerFailed",
    "TriggerRunner",
    "WorkflowVerbs",
    "apply_parameters",
    "conditions_hold",
    "endpoints_of",
    "evaluate",
    "event_name",
    "filter_event",
    "get_path",
    "list_events",
    "prune_events",
    "record_event",
    "render",
    "resolve_parameter",
    "set_path",
    "slack_api_url",
]
