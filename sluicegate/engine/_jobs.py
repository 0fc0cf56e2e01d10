"""What the operator hands the executor and what it gets back: a `Job` to run and its `Result`.

Made by `_leaf` (jobs for leaf nodes) and by the runners (`_executor`, `_resource`, `_http`, `_data`:
results); a `Job` is also written to the step's run folder so a restarted controller can adopt it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sluicegate.lang import utc_now

__all__ = ["Job", "Key", "Result"]

Key = tuple[str, str, str]


@dataclass
class Job:
    """One leaf node to run: a pod (container/script) or a resource action."""

    namespace: str
    workflow: str
    workflow_uid: str
    node_id: str
    node_name: str
    template: dict[str, Any]
    kind: str = "pod"
    deadline: float | None = None  # epoch seconds
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    grace: float | None = None  # terminationGracePeriodSeconds from podSpecPatch (None: Kubernetes' default)
    # the workflow's podMetadata ({"labels": ..., "annotations": ...}), its {{workflow.*}} tags resolved
    pod_metadata: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        """`(namespace, workflow, nodeId)`."""
        return (self.namespace, self.workflow, self.node_id)


@dataclass
class Result:
    """The outcome of a job, folded into the node by the operator.

    A containerSet step also reports while it runs: a `Result` whose phase is `Running` carries only the
    states of its containers (`containers`, see `_containers.PodPlan.states`), for its `Container` nodes.
    """

    key: Key
    phase: str
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    finished_at: str = field(default_factory=utc_now)
    containers: dict[str, dict[str, str]] = field(default_factory=dict)
