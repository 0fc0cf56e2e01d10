"""The sensor controller: matches journaled events to Sensor dependencies and runs their triggers.

Called by the events Part (one thread). It watches the store's change feed for new `Event` documents,
and at start picks up every event still `Pending` (received before a crash). For each event it runs the
filters of every dependency on that EventSource event, keeps the latest passing event per (trigger,
dependency) in the store (`_sensor_state`: a restart keeps partial AND conditions), fires a trigger when
its `conditions` hold (default: all dependencies), with retries from its `retryStrategy` and the
`dlqTrigger` after the last failed attempt of an `atLeastOnce` trigger, at the pace of its `rateLimit`,
forgetting collected events at its `conditionsReset` times (`_limits`).
Everything it decides is written into the event's status (phase, message, one entry per trigger).

Delivery across a crash: triggers without `atLeastOnce` are marked dispatched before they run and are not
run again (at most once); `atLeastOnce` triggers run again unless they were recorded as Succeeded.
"""

from __future__ import annotations

import contextlib
import copy
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from sluicegate.errors import SluiceError
from sluicegate.eventing._filters import filter_event
from sluicegate.eventing._journal import (
    EVENT_KIND,
    LABEL_EVENT,
    LABEL_SOURCE,
    event_phase,
    precise_now,
    prune_events,
    received_at,
    set_outcome,
)
from sluicegate.eventing._limits import LeakyBucket, drop_before_reset
from sluicegate.eventing._model import SensorSpec, Trigger
from sluicegate.eventing._params import EventView, apply_parameters
from sluicegate.eventing._sensor_state import forget_states, load_states, save_states
from sluicegate.eventing._transform import TransformError, transform_data
from sluicegate.eventing._triggers import TriggerFailed, TriggerRunner
from sluicegate.lang import ExprError
from sluicegate.lang import evaluate_govaluate as evaluate
from sluicegate.store import Store

__all__ = ["SensorController", "conditions_hold"]


def conditions_hold(conditions: str, deps: list[str], have: set[str]) -> bool:
    """Whether a trigger's boolean `conditions` over dependency names hold, given the resolved ones."""
    if not conditions.strip():
        return all(d in have for d in deps)
    expr = conditions
    names = {}
    for i, dep in enumerate(sorted(deps, key=len, reverse=True)):
        token = f"d{i}__"
        expr = re.sub(rf"(?<![\w-]){re.escape(dep)}(?![\w-])", token, expr)
        names[token] = dep in have
    try:
        return evaluate(expr, names) is True
    except ExprError:
        return False


def _deps_of(trigger: Trigger, deps: list[str]) -> list[str]:
    if not trigger.conditions.strip():
        return deps
    return [d for d in deps if re.search(rf"(?<![\w-]){re.escape(d)}(?![\w-])", trigger.conditions)]


class SensorController:
    """Processes journaled events against the Sensors in the store.

    Args:
        store: the object store (events, sensors, workflows).
        runner: executes trigger templates.
        sleep: how to wait between trigger retries (tests pass a fast one).
        keep_events: how many events the journal keeps (oldest processed ones are deleted beyond it, as the
            EventBus stream drops old messages).
        prune_every: seconds between journal prunes.
    """

    def __init__(
        self,
        store: Store,
        runner: TriggerRunner,
        sleep: Callable[[float], None] = time.sleep,
        keep_events: int = 10_000,
        prune_every: float = 60.0,
    ) -> None:
        self.store = store
        self.keep_events = keep_events
        self.prune_every = prune_every
        self.runner = runner
        self.sleep = sleep
        self.counts: Counter[str] = Counter()
        self.last_error = ""
        self._buckets: dict[tuple[str, str, str], LeakyBucket] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Process pending events, then follow the change feed in a thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sensor-controller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (after the event in progress)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        since = self.store.head()
        for doc in sorted(self.store.list(EVENT_KIND), key=received_at):
            if event_phase(doc) == "Pending":
                self._safe(doc)
        next_prune = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() >= next_prune:
                self.counts["pruned"] += prune_events(self.store, self.keep_events)
                next_prune = time.monotonic() + self.prune_every
            for change in self.store.wait(since, 0.5, kinds=(EVENT_KIND, "Sensor")):
                since = max(since, change.seq)
                if change.kind == "Sensor":
                    if change.type == "DELETED":  # its partial conditions go with it
                        forget_states(self.store, change.namespace, change.name)
                    continue
                if change.type != "ADDED":
                    continue
                new = self.store.try_get(EVENT_KIND, change.namespace, change.name)
                if new is not None and event_phase(new) == "Pending":
                    self._safe(new)

    def _safe(self, doc: dict[str, Any]) -> None:
        try:
            self.process(doc)
        except Exception as e:  # keep the controller alive; the event stays Pending and says why
            self.last_error = f"{doc['metadata']['name']}: {type(e).__name__}: {e}"
            self.counts["errors"] += 1
            with contextlib.suppress(SluiceError):
                set_outcome(self.store, doc["metadata"]["namespace"], doc["metadata"]["name"], message=self.last_error)

    # -- one event ---------------------------------------------------------------------------------
    def process(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Run one Pending event through every Sensor; returns the updated event document."""
        meta = doc["metadata"]
        ns, name = meta["namespace"], meta["name"]
        source, event = meta["labels"][LABEL_SOURCE], meta["labels"][LABEL_EVENT]
        view: EventView = {"context": doc["spec"]["context"], "data": doc["spec"]["data"]}
        done = {(t.get("sensor"), t.get("trigger")): t for t in doc["status"].get("triggers") or []}
        reasons: list[str] = []
        fired: list[tuple[dict[str, Any], Trigger, dict[str, EventView]]] = []
        waiting = False
        for sensor in self.store.list("Sensor", ns):
            sname = sensor["metadata"]["name"]
            try:
                spec = SensorSpec.model_validate(sensor.get("spec") or {})
            except ValidationError as e:
                reasons.append(f"Sensor {sname} is invalid: {e.errors()[0]['msg']}")
                continue
            states = load_states(self.store, ns, sensor)
            touched: set[str] = set()
            dep_names = [d.name for d in spec.dependencies]
            for dep in spec.dependencies:
                if (dep.event_source_name, dep.event_name) != (source, event):
                    continue
                seen = view
                if dep.transform:  # before the filters, on the data only (Argo Events' ApplyTransform)
                    try:
                        seen = {"context": view["context"], "data": transform_data(dep.transform, view["data"])}
                    except TransformError as e:
                        reasons.append(f"{sname}/{dep.name}: {e.message}")
                        continue
                ok, why = filter_event(dep, seen["context"], seen["data"])
                if not ok:
                    reasons.append(f"{sname}/{dep.name}: {why}")
                    continue
                for trig in spec.triggers:
                    if dep.name not in _deps_of(trig, dep_names):
                        continue
                    state = states.get(trig.name) or {}
                    if state.get("last") == name and trig.name not in touched:  # counted before a crash
                        if "fires" in state:
                            fired.append((sensor, trig, dict(state["fires"])))
                        else:
                            waiting = True
                        continue
                    collected: dict[str, EventView] = dict(state.get("events") or {})
                    try:
                        drop_before_reset(collected, list(trig.template.get("conditionsReset") or []))
                    except SluiceError as e:
                        reasons.append(f"{sname}/{trig.name}: {e.message}")
                        continue
                    collected[dep.name] = seen
                    carry = {"fires": state["fires"]} if trig.name in touched and "fires" in state else {}
                    if conditions_hold(trig.conditions, dep_names, set(collected)):
                        fired.append((sensor, trig, collected))
                        states[trig.name] = {"events": {}, "last": name, "fires": collected}
                    else:
                        states[trig.name] = {"events": collected, "last": name, **carry}
                        waiting = True
                    touched.add(trig.name)
            if touched:  # before the event is marked processed: a crash replays it against this state
                save_states(self.store, ns, sensor, states)
        fired = [f for f in fired if self._should_run(f[1], done.get((f[0]["metadata"]["name"], f[1].name)))]
        at_most_once = [
            {"sensor": s["metadata"]["name"], "trigger": t.name, "phase": "Dispatched", "time": precise_now()}
            for s, t, _ in fired
            if not t.at_least_once
        ]
        if at_most_once:
            set_outcome(self.store, ns, name, triggers=[*done.values(), *at_most_once])
        results = [self._fire(sensor, trig, events) for sensor, trig, events in fired]
        kept = [t for k, t in done.items() if k not in {(r["sensor"], r["trigger"]) for r in results}]
        triggers = [*kept, *results]
        if results:
            phase = "Failed" if any(r["phase"] == "Failed" for r in results) else "Triggered"
            message = "; ".join(f"{r['sensor']}/{r['trigger']}: {r['message']}" for r in results)
        elif waiting:
            phase, message = "Triggered", "accepted; waiting for the other dependencies of a trigger's conditions"
        else:
            phase = "Ignored"
            message = "; ".join(reasons) or f"no Sensor depends on {source}/{event}"
        self.counts[phase.lower()] += 1
        return set_outcome(self.store, ns, name, phase=phase, message=message[:2000], triggers=triggers)

    @staticmethod
    def _should_run(trig: Trigger, previous: dict[str, Any] | None) -> bool:
        if previous is None:
            return True
        return trig.at_least_once and previous.get("phase") != "Succeeded"

    def _pace(self, sensor: dict[str, Any], trig: Trigger) -> None:
        """Wait for the trigger's `rateLimit` turn (one leaky bucket per Sensor trigger, as Argo Events)."""
        limit = trig.rate_limit
        if limit is None or limit.requests_per_unit <= 0:
            return
        key = (sensor["metadata"].get("namespace", ""), sensor["metadata"]["name"], trig.name)
        bucket = self._buckets.get(key)
        if bucket is None or (bucket.unit, bucket.requests) != (limit.unit, limit.requests_per_unit):
            bucket = self._buckets[key] = LeakyBucket(limit.requests_per_unit, limit.unit)
        wait = bucket.delay()
        if wait > 0:
            self.sleep(wait)

    def _fire(self, sensor: dict[str, Any], trig: Trigger, events: dict[str, EventView]) -> dict[str, Any]:
        record: dict[str, Any] = {"sensor": sensor["metadata"]["name"], "trigger": trig.name, "attempts": []}
        try:
            self._pace(sensor, trig)
        except SluiceError as e:
            return {**record, "phase": "Failed", "message": e.message, "time": precise_now()}
        delays = trig.retry_strategy.delays() if trig.retry_strategy else []
        for attempt in range(len(delays) + 1):
            try:
                template = apply_parameters(copy.deepcopy(trig.template), trig.parameters, events)
                result = self.runner.run(sensor, template, events, trig.policy)
            except (TriggerFailed, SluiceError) as e:
                text = e.message if isinstance(e, SluiceError) else str(e)
                record["attempts"].append({"time": precise_now(), "error": text})
                if isinstance(e, SluiceError) or attempt == len(delays):
                    break
                self.sleep(delays[attempt])
                continue
            record["attempts"].append({"time": precise_now(), "ok": result.message})
            record.update(phase="Succeeded", message=result.message, time=precise_now())
            if result.workflow:
                record["workflow"] = result.workflow
            if result.warning:
                record["warning"] = True
                self.counts["warnings"] += 1
            return record
        record.update(phase="Failed", message=record["attempts"][-1]["error"], time=precise_now())
        self.counts["trigger_failures"] += 1
        if trig.at_least_once and trig.dlq_trigger is not None:
            dlq = self._fire(sensor, trig.dlq_trigger, events)
            record["deadLetter"] = {k: dlq[k] for k in ("trigger", "phase", "message")}
        return record
