"""The containers of one pod and when each may start: main or a containerSet's graph, plus sidecars.

Called by `_executor` for every container/script/containerSet step. As Argo runs a pod: sidecars start with
the main container(s); a containerSet's containers start as soon as the containers they list in
`dependencies` have exited, all at once when they list none; a container whose dependency failed does not
run (it fails with exit code 64, the emissary's, and says which dependency failed); when every main container
has exited the sidecars are stopped, and the step's outcome is that of its main containers alone (Argo v4.2: a
failed container does not stop its siblings). A sidecar with `mirrorVolumeMounts: true` gets the main
container's volume mounts. `states()` is what the workflow's `Container` nodes show of each main container
(`_containernodes` folds it in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sluicegate.errors import SluiceError
from sluicegate.lang import utc_now

__all__ = ["EMISSARY_ERROR", "POD_FAILED", "Container", "PodPlan"]

#: The exit code of Argo's emissary when it fails rather than the container's process (a `Container` node Error).
EMISSARY_ERROR = 64
#: A `Container` node's message when the pod ended before the container did (Argo's wording).
POD_FAILED = "Pod Failed whilst container running"


@dataclass
class Container:
    """One container of a pod."""

    name: str
    spec: dict[str, Any]
    sidecar: bool = False
    dependencies: list[str] = field(default_factory=list)


class PodPlan:
    """Which containers of a step have started and exited, and which may start now (not thread-safe)."""

    def __init__(self, template: dict[str, Any]) -> None:
        where = f"template {template.get('name')!r}"
        self.mains: list[Container] = []
        container_set = template.get("containerSet")
        if container_set is not None:
            shared = list(container_set.get("volumeMounts") or [])
            for spec in container_set.get("containers") or []:
                spec = {**spec, "volumeMounts": [*shared, *(spec.get("volumeMounts") or [])]}
                deps = [str(d) for d in spec.get("dependencies") or []]
                self.mains.append(Container(str(spec["name"]), spec, dependencies=deps))
            main_mounts = shared
        else:
            spec = dict(template.get("script") or template.get("container") or {})
            self.mains.append(Container("main", spec))
            main_mounts = list(spec.get("volumeMounts") or [])
        names = [c.name for c in self.mains]
        for c in self.mains:
            unknown = [d for d in c.dependencies if d not in names]
            if unknown:
                raise SluiceError(
                    f"container {c.name!r} depends on {unknown[0]!r}, which the containerSet does not have",
                    where=where,
                    fix="name one of the containerSet's containers in dependencies",
                )
        self.sidecars = [self._sidecar(s, main_mounts, names, where) for s in template.get("sidecars") or []]
        self.started: set[str] = set()
        self.codes: dict[str, int] = {}
        self.errors: dict[str, str] = {}
        self.failed: list[str] = []  # main containers that failed, in the order they ended
        self.said: dict[str, str] = {}  # termination messages of main containers that failed
        self.ended: dict[str, str] = {}  # when each container exited (RFC 3339)
        self.cancelled: set[str] = set()  # main containers the stopped step never started
        self.stopping = False  # the sidecars were told to stop
        self._check_cycle(where)

    @staticmethod
    def _sidecar(spec: dict[str, Any], mounts: list[dict[str, Any]], names: list[str], where: str) -> Container:
        name = str(spec.get("name") or "")
        if not name or name in names:
            raise SluiceError(
                f"sidecar name {name!r} is empty or the name of a main container",
                where=f"{where} sidecars",
                fix="give every sidecar a name of its own",
            )
        mirror = bool(spec.get("mirrorVolumeMounts"))
        spec = {k: v for k, v in spec.items() if k != "mirrorVolumeMounts"}
        if mirror:  # the main container's mounts at the same paths (a path the sidecar mounts itself stays its own)
            own = [dict(m) for m in spec.get("volumeMounts") or []]
            taken = {str(m.get("mountPath", "")).rstrip("/") for m in own}
            spec["volumeMounts"] = own + [m for m in mounts if str(m.get("mountPath", "")).rstrip("/") not in taken]
        return Container(name, spec, sidecar=True)

    def _check_cycle(self, where: str) -> None:
        done: set[str] = set()
        while len(done) < len(self.mains):
            ready = [c.name for c in self.mains if c.name not in done and set(c.dependencies) <= done]
            if not ready:
                raise SluiceError("containerSet dependencies form a cycle", where=where)
            done.update(ready)

    @property
    def single(self) -> bool:
        """One main container and no sidecars: the plain pod a restarted controller can adopt."""
        return len(self.mains) == 1 and not self.sidecars and self.mains[0].name == "main"

    def take_ready(self) -> list[Container]:
        """Containers to start now (each returned once); a container whose dependency failed is failed too."""
        ready: list[Container] = []
        if not self.started:
            ready.extend(self.sidecars)
        changed = True
        while changed:
            changed = False
            for c in self.mains:
                if c.name in self.started or c.name in self.codes:
                    continue
                if not all(d in self.codes for d in c.dependencies):
                    continue
                bad = [d for d in c.dependencies if self.codes[d] != 0]
                if bad:  # it never runs: it fails once its dependency has exited, as Argo's emissary does
                    why = f'dependency "{bad[0]}" exited with non-zero code: {self.codes[bad[0]]}'
                    self.exited(c.name, EMISSARY_ERROR, why)
                    changed = True
                    continue
                ready.append(c)
        self.started.update(c.name for c in ready)
        return ready

    def exited(self, name: str, code: int, error: str | None = None, said: str = "") -> None:
        """Record that a container has exited (or could not start: `error`); `said`: its termination message."""
        self.codes[name] = code
        self.ended[name] = utc_now()
        if error:
            self.errors[name] = error
        if said:
            self.said[name] = said
        if (code != 0 or error) and any(c.name == name for c in self.mains):
            self.failed.append(name)

    def is_sidecar(self, name: str) -> bool:
        """Whether `name` is one of the sidecars."""
        return any(c.name == name for c in self.sidecars)

    def cancel(self, why: str) -> None:
        """The step was stopped: main containers that have not started never will."""
        for c in self.mains:
            if c.name not in self.started and c.name not in self.codes:
                self.started.add(c.name)
                self.cancelled.add(c.name)
                self.exited(c.name, 137, why)

    def mains_done(self) -> bool:
        """Every main container has exited (or will never run)."""
        return all(c.name in self.codes for c in self.mains)

    def running_sidecars(self) -> list[str]:
        """Sidecars started and not exited."""
        return [c.name for c in self.sidecars if c.name in self.started and c.name not in self.codes]

    def running(self) -> list[str]:
        """Every container started and not exited."""
        return [n for n in self.started if n not in self.codes]

    def states(self) -> dict[str, dict[str, str]]:
        """What each main container's `Container` node shows: `phase`, and once it has ended `finishedAt`, `message`.

        As Argo's controller reads the pod's container statuses: exit code 0 is Succeeded, the emissary's 64 Error,
        any other Failed with `<name>: Error (exit code N): <termination message>`; a container the stopped pod
        never ran is Failed with Argo's "Pod Failed whilst container running".
        """
        states: dict[str, dict[str, str]] = {}
        for c in self.mains:
            name = c.name
            if name not in self.codes:
                states[name] = {"phase": "Running" if name in self.started else "Pending"}
                continue
            code = self.codes[name]
            state = {"finishedAt": self.ended[name]}
            if name in self.cancelled:
                state.update(phase="Failed", message=POD_FAILED)
            elif code == 0 and name not in self.errors:
                state["phase"] = "Succeeded"
            else:
                said = self.errors.get(name) or self.said.get(name, "")
                state["phase"] = "Error" if code == EMISSARY_ERROR else "Failed"
                state["message"] = f"{name}: Error (exit code {code}): {said}"
            states[name] = state
        return states

    def outcome(self) -> tuple[str, int, str | None]:
        """`(container, exit code, launch error)` that decides the step: the first failed main container, else main."""
        if self.failed:
            name = self.failed[0]
            return name, self.codes[name], self.errors.get(name)
        name = "main" if any(c.name == "main" for c in self.mains) else self.mains[-1].name
        return name, self.codes.get(name, 0), None
