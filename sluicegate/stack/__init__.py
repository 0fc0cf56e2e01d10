"""The embedded stack started by `sluice up`: the parts, their shared context, and the supervisor.

Every part (API, workflow controller, event runtime, rollout controller, MLflow, Prometheus) implements
the `Part` protocol; the supervisor starts them in order, merges their endpoints into `endpoints.json`,
mounts their API routes, shows their status, and stops them in reverse order.
"""

from sluicegate.stack._part import Part, StackContext

__all__ = ["Part", "StackContext"]
