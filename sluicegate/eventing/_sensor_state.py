"""The events a Sensor's triggers have collected so far, kept in the store so a restart does not forget them.

Called by `_controller.SensorController`. Argo Events keeps a trigger's partial AND-condition state (the
latest event of each dependency seen so far) in the EventBus' key-value bucket, so a restarted Sensor pod
carries on. Here it is one `SensorState` document per Sensor (`sluicegate.io/v1alpha1`, the Sensor's
namespace and name), written before the event that changed it is marked processed. Per trigger it holds the
collected `events`, the event that changed it `last` (an event processed again after a crash is not counted
twice) and, when that event made the trigger fire, the events it `fires` with (processed again after a crash,
the event fires the trigger with them again, where its recorded outcome allows, as the bus would redeliver).
A deleted Sensor's state is deleted with it; one created again (a new uid) starts empty.
"""

from __future__ import annotations

import copy
from typing import Any

from sluicegate.errors import NotFoundError
from sluicegate.store import Store

__all__ = ["STATE_KIND", "TriggerState", "forget_states", "load_states", "save_states"]

STATE_KIND = "SensorState"
_API = "sluicegate.io/v1alpha1"

#: `{"events": {dependency: EventView}, "last": event name, "fires": {dependency: EventView}}`
TriggerState = dict[str, Any]


def load_states(store: Store, namespace: str, sensor: dict[str, Any]) -> dict[str, TriggerState]:
    """The stored state of each trigger of `sensor` (empty for a Sensor it was not written for)."""
    doc = store.try_get(STATE_KIND, namespace, str(sensor["metadata"]["name"]))
    if doc is None or (doc.get("spec") or {}).get("sensorUID") != sensor["metadata"].get("uid", ""):
        return {}
    return copy.deepcopy(dict((doc.get("spec") or {}).get("triggers") or {}))


def save_states(store: Store, namespace: str, sensor: dict[str, Any], states: dict[str, TriggerState]) -> None:
    """Replace the stored state of `sensor`'s triggers."""
    name = str(sensor["metadata"]["name"])
    spec = {"sensorUID": sensor["metadata"].get("uid", ""), "triggers": states}
    store.apply(
        {"apiVersion": _API, "kind": STATE_KIND, "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    )


def forget_states(store: Store, namespace: str, sensor: str) -> None:
    """Delete the stored state of a Sensor that was deleted."""
    try:
        store.delete(STATE_KIND, namespace, sensor)
    except NotFoundError:
        return
