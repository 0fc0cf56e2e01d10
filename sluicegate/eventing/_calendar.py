"""The `calendar` EventSource type: events on a cron `schedule` or an `interval`, as Argo Events emits them.

Called by the events Part, which starts one `CalendarTimer` per calendar event of each EventSource and
stops it when the EventSource changes or goes. As Argo Events' calendar listener: `schedule` (5-field cron)
wins over `interval` (a Go duration); the first event comes after the next scheduled time from now; a time
whose date is one of `exclusionDates` (RFC 5545 `EXDATE:20190102T080000Z,...`, compared by year, month and
day) is skipped; `timezone` is the schedule's zone. The event data is
`{"eventTime": "<Go time.String()>", "metadata": {...}}`, the context `type: calendar`. An event its
`filter.expression` (`_source_filter`) holds back is recorded as Ignored with the reason, not published.

`persistence.configMap` keeps the last event's data in that ConfigMap of the store under the key
`<eventSource>.<event>` (created when missing with `createIfNotExist: true`; without it a missing ConfigMap
stops the timer, reported as a problem, as Argo's listener fails to start). With `persistence.catchup.enabled`
the timer starts from the persisted event's time instead of now, at most `catchup.maxDuration` back, and
emits every scheduled time it missed at once, each with that time as its `eventTime`, as Argo Events does.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from sluicegate.errors import ConflictError, ExprError, ManifestError, NotFoundError
from sluicegate.eventing._journal import precise_now, record_event
from sluicegate.eventing._source_filter import filter_expression, passes
from sluicegate.lang import parse_duration
from sluicegate.store import Store

__all__ = ["CalendarSpec", "CalendarTimer", "calendars_of", "go_time_string", "parse_go_time"]

log = logging.getLogger("sluicegate.events")


@dataclass(frozen=True)
class CalendarSpec:
    """One calendar event of an EventSource, checked."""

    namespace: str
    source: str
    event: str
    schedule: str = ""
    interval: float = 0.0
    zone: Any = UTC
    excluded: frozenset[date] = frozenset()
    metadata: dict[str, str] = field(default_factory=dict)
    config_map: str = ""  # persistence.configMap.name ("" = no persistence)
    create_config_map: bool = False
    catchup: bool = False
    catchup_max: float = 0.0  # seconds; 0 = no limit
    filter: str | None = None  # filter.expression (None: no filter)

    def next_after(self, last: datetime) -> datetime:
        """The next event time after `last`, skipping excluded dates (Argo's `next`)."""
        t = last.astimezone(self.zone)
        for _ in range(10_000):
            if self.schedule:
                t = croniter(self.schedule, t).get_next(datetime)
            else:  # robfig/cron ConstantDelaySchedule: last + delay, on a whole second
                t = t + timedelta(seconds=self.interval) - timedelta(microseconds=t.microsecond)
            if t.date() not in self.excluded:
                return t
        raise ManifestError("every scheduled date is excluded", where=self.where, fix="check exclusionDates")

    @property
    def where(self) -> str:
        """`EventSource/<name>: spec.calendar.<event>`."""
        return f"EventSource/{self.source}: spec.calendar.{self.event}"


def _excluded(values: list[Any], where: str) -> frozenset[date]:
    out: set[date] = set()
    for value in values:
        text = str(value)
        if not text.startswith("EXDATE:"):
            continue  # Argo ignores entries without the RFC 5545 prefix
        for stamp in text.removeprefix("EXDATE:").split(","):
            try:
                out.add(datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").date())
            except ValueError:
                raise ManifestError(
                    f'parsing time "{stamp}" as "20060102T150405Z": not a UTC date-time',
                    where=f"{where}.exclusionDates",
                    fix="write EXDATE:20260101T000000Z (several separated by commas)",
                ) from None
    return frozenset(out)


def calendars_of(doc: dict[str, Any]) -> list[CalendarSpec]:
    """The calendar events of one EventSource document.

    Raises:
        ManifestError: neither `schedule` nor `interval`, a bad cron, duration, time zone or exclusion date.
    """
    meta = doc.get("metadata") or {}
    out: list[CalendarSpec] = []
    for event, cfg in ((doc.get("spec") or {}).get("calendar") or {}).items():
        cfg = cfg or {}
        where = f"EventSource/{meta.get('name')}: spec.calendar.{event}"
        schedule, interval = str(cfg.get("schedule") or ""), 0.0
        if schedule:
            if len(schedule.split()) != 5 or not croniter.is_valid(schedule):
                raise ManifestError(
                    f"failed to parse schedule {schedule} from calendar event",
                    where=f"{where}.schedule",
                    fix="use 5 cron fields, e.g. 0 3 * * *",
                )
        elif cfg.get("interval"):
            try:
                interval = parse_duration(cfg["interval"], bare="ns", where=f"{where}.interval")
            except ExprError as e:
                raise ManifestError(e.message, where=f"{where}.interval", fix="a Go duration, e.g. 10s or 1h") from e
            if interval <= 0:
                raise ManifestError("interval must be positive", where=f"{where}.interval", fix="e.g. 10s or 1h")
        else:
            raise ManifestError(
                "calendar event must contain either a schedule or interval",
                where=where,
                fix="add schedule: '0 3 * * *'",
            )
        persistence = _persistence(cfg.get("persistence"), f"{where}.persistence")
        zone_name = str(cfg.get("timezone") or "")
        try:
            zone: Any = ZoneInfo(zone_name) if zone_name else datetime.now().astimezone().tzinfo
        except (ZoneInfoNotFoundError, ValueError):
            raise ManifestError(
                f"unknown time zone {zone_name}", where=f"{where}.timezone", fix="use an IANA name, e.g. Europe/Paris"
            ) from None
        out.append(
            CalendarSpec(
                namespace=str(meta.get("namespace", "")),
                source=str(meta.get("name", "")),
                event=str(event),
                schedule=schedule,
                interval=interval,
                zone=zone,
                excluded=_excluded(list(cfg.get("exclusionDates") or []), where),
                metadata={str(k): str(v) for k, v in (cfg.get("metadata") or {}).items()},
                filter=filter_expression(cfg),
                **persistence,
            )
        )
    return out


def _persistence(cfg: Any, where: str) -> dict[str, Any]:
    """The persistence fields of a CalendarSpec (none without a `configMap`, as Argo Events)."""
    if not cfg:
        return {}
    config_map = cfg.get("configMap") or {}
    if not config_map:
        return {}
    name = str(config_map.get("name") or "")
    if not name:
        raise ManifestError(
            "persistence.configMap needs a name", where=f"{where}.configMap.name", fix="name: cal-state"
        )
    catchup = cfg.get("catchup") or {}
    max_duration = 0.0
    if catchup.get("maxDuration"):
        try:
            max_duration = parse_duration(catchup["maxDuration"], bare="ns", where=f"{where}.catchup.maxDuration")
        except ExprError as e:
            raise ManifestError(e.message, where=f"{where}.catchup.maxDuration", fix="a Go duration, e.g. 5m") from e
    return {
        "config_map": name,
        "create_config_map": bool(config_map.get("createIfNotExist")),
        "catchup": bool(catchup.get("enabled")),
        "catchup_max": max_duration,
    }


def parse_go_time(text: str) -> datetime:
    """A time `go_time_string` (Go's `time.String()`) wrote, its monotonic ` m=...` part ignored."""
    head = text.split(" m=")[0].strip()
    stamp, offset = head.rsplit(" ", 2)[0], head.rsplit(" ", 2)[1]
    base, _, frac = stamp.partition(".")
    parsed = datetime.strptime(f"{base} {offset}", "%Y-%m-%d %H:%M:%S %z")
    return parsed + timedelta(microseconds=int((frac + "000000")[:6]) if frac else 0)


def go_time_string(t: datetime) -> str:
    """Go's `time.Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST` (fraction trimmed)."""
    frac = f".{t.microsecond:06d}".rstrip("0").rstrip(".")
    return f"{t:%Y-%m-%d %H:%M:%S}{frac} {t:%z} {t.tzname() or 'UTC'}"


class CalendarTimer:
    """A thread that records the calendar event in the store at each scheduled time until stopped."""

    def __init__(self, spec: CalendarSpec, store: Store, now: Callable[[], datetime] | None = None) -> None:
        self.spec, self.store = spec, store
        self.now = now or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"calendar-{spec.source}-{spec.event}", daemon=True)
        self.problem = ""  # why the timer stopped on its own (its persistence ConfigMap is missing)

    def start(self) -> None:
        """Start waiting for the first scheduled time after now."""
        self._thread.start()

    def stop(self) -> None:
        """Stop; an event being recorded is finished first."""
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        try:
            last = self._start_time()
        except ManifestError as e:
            self.problem = e.message
            log.error("%s: %s", self.spec.where, e.message)
            return
        while not self._stop.is_set():
            due = self.spec.next_after(last)
            if due <= self.now():  # a time missed while the stack was down (catch-up): emitted at once
                self._record(due)
                last = due
                continue
            if self._stop.wait(max((due - self.now()).total_seconds(), 0.0)):
                return
            fired = self.now().astimezone(self.spec.zone)
            self._record(fired)
            last = max(fired, due)  # a wake-up a little early must not emit the same time twice

    @property
    def _key(self) -> str:
        return f"{self.spec.source}.{self.spec.event}"

    def _start_time(self) -> datetime:
        """Now, or with catch-up the persisted last event time (at most `catchup.maxDuration` ago)."""
        now = self.now()
        spec = self.spec
        if not spec.config_map:
            return now
        doc = self.store.try_get("ConfigMap", spec.namespace, spec.config_map)
        if doc is None and not spec.create_config_map:
            raise ManifestError(
                f'configmaps "{spec.config_map}" not found',
                where=f"{spec.where}.persistence.configMap",
                fix="apply the ConfigMap or set createIfNotExist: true",
            )
        if not spec.catchup:
            return now
        payload = ((doc or {}).get("data") or {}).get(self._key)
        last = now
        if payload:
            try:
                last = parse_go_time(str(json.loads(payload)["eventTime"]))
            except (ValueError, KeyError, TypeError, IndexError):
                log.error("%s: the persisted last event %r is not readable; starting from now", spec.where, payload)
        if spec.catchup_max and (now - last).total_seconds() > spec.catchup_max:
            last = now - timedelta(seconds=spec.catchup_max)
        return last.astimezone(spec.zone)

    def _persist(self, data: dict[str, Any]) -> None:
        """The last event's data into the persistence ConfigMap (created if missing and allowed)."""
        spec = self.spec
        payload = json.dumps(data, separators=(",", ":"))

        def change(doc: dict[str, Any]) -> dict[str, Any]:
            doc.setdefault("data", {})[self._key] = payload
            return doc

        for _ in range(3):
            try:
                self.store.mutate("ConfigMap", spec.namespace, spec.config_map, change)
                return
            except NotFoundError:
                if not spec.create_config_map:
                    log.error("%s: ConfigMap %s is gone; the event was not persisted", spec.where, spec.config_map)
                    return
            try:
                meta = {"name": spec.config_map, "namespace": spec.namespace}
                self.store.create(
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {self._key: payload}}
                )
                return
            except ConflictError:
                continue

    def _record(self, fired: datetime) -> None:
        spec = self.spec
        context = {
            "id": uuid.uuid4().hex,
            "source": spec.source,
            "subject": spec.event,
            "type": "calendar",
            "specversion": "1.0",
            "datacontenttype": "application/json",
            "time": precise_now(),
        }
        data: dict[str, Any] = {"eventTime": go_time_string(fired)}
        if spec.metadata:
            data["metadata"] = dict(spec.metadata)
        publish, why = (True, "") if spec.filter is None else passes(spec.filter, data, f"{spec.where}.filter")
        if not publish:
            log.info("%s", why)
        phase = "Pending" if publish else "Ignored"
        record_event(self.store, spec.namespace, spec.source, spec.event, None, context, data, phase=phase, message=why)
        if spec.config_map:  # as Argo's listener, also an event its filter held back
            self._persist(data)
