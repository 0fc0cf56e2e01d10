"""The EventBus (NATS JetStream) every EventSource publishes to and every Sensor reads from.

Called by `events.manifests()`. Hera has no EventBus model, so this module defines the small subset we
render (checked against the official schema by the tests).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from events._build import API_VERSION, meta

__all__ = ["EventBus", "JetStreamBus", "event_bus"]


class _M(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)


class JetStreamBus(_M):
    """`spec.jetstream`: version and replicas (JetStream needs at least 3)."""

    #: One of the versions the pinned controller knows: the argo-events chart 2.4.22 (v1.9.10) lists
    #: configs.jetstream.versions up to 2.10.10; any other is rejected as "unsupported version".
    version: str = "2.10.10"
    replicas: int = Field(3, ge=3)
    #: JetStream stream settings (YAML text, as the CRD takes it): keep a week, de-dup re-publishes for 5 min.
    stream_config: str = Field(
        "maxAge: 168h\nduplicates: 300s\nmaxMsgs: 50000\nretention: 0\ndiscard: 0\n", alias="streamConfig"
    )


class EventBus(_M):
    """An Argo Events EventBus."""

    jetstream: JetStreamBus = JetStreamBus()


def event_bus() -> dict[str, Any]:
    """EventBus `default`."""
    return {
        "apiVersion": API_VERSION,
        "kind": "EventBus",
        "metadata": meta("default").model_dump(by_alias=True, exclude_none=True),
        "spec": EventBus().model_dump(by_alias=True),
    }
