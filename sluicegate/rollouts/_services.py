"""A Rollout's cluster Services on this machine: its splitter (`<rollout>`), its model servers (`-stable`/`-canary`).

Called by the rollout controller (`_controller`), which keeps one `Runtime` per Rollout: `Runtime.backend_urls`
is what it publishes as `serviceBackends` (the workflow controller maps a step's URLs with them,
`sluicegate.localdns`), and `resolve_services` maps the Service addresses in a metric provider (a web metric's
URL, a job's command and environment: `_providers`) to the same local URLs. Both name the Services with
`sluicegate.localdns.role_service`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sluicegate.documents import RolloutStatus
from sluicegate.localdns import replace_services, role_service
from sluicegate.rollouts._backends import ModelProcess
from sluicegate.rollouts._splitter import Splitter

__all__ = ["Runtime", "resolve_services"]


@dataclass
class Runtime:
    """One Rollout on this machine: its traffic splitter and its model servers (by model URI)."""

    ns: str
    name: str
    splitter: Splitter
    procs: dict[str, ModelProcess] = field(default_factory=dict)
    ever_ready: set[str] = field(default_factory=set)

    def backend_urls(self, st: RolloutStatus) -> dict[str, str]:
        """What a cluster's `<rollout>-stable` and `<rollout>-canary` Services select, as local URLs."""
        out: dict[str, str] = {}
        for role, uri in (("stable", st.stable_model), ("canary", st.canary_model)):
            proc = self.procs.get(str(uri)) if uri else None
            if proc is not None:
                out[role_service(self.name, role)] = proc.url
        return out


def resolve_services(text: str, runtimes: Iterable[Runtime], status: Callable[[Runtime], RolloutStatus]) -> str:
    """`text` with the addresses of these Rollouts' Services replaced by local URLs.

    `http://<rollout>` is the Rollout's splitter and `http://<rollout>-stable`/`-canary` the model server of that
    role in its stored status (`status`), as `localdns.replace_services(bare=True)` reads the host (also
    `<svc>.<ns>[.svc[.cluster.local]]`, where the namespace must be the Rollout's). Other addresses stay.
    """
    rts = list(runtimes)

    def local(svc: str, ns: str | None) -> str | None:
        for rt in rts:
            if ns not in (None, rt.ns):
                continue
            url = rt.splitter.url if svc == rt.name else rt.backend_urls(status(rt)).get(svc, "")
            if url:
                return url
        return None

    return replace_services(text, local, bare=True)
