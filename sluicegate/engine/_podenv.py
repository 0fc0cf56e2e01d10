"""What the kubelet fills in of a container's environment: downward API fields, resource fields, `$(VAR)`.

Called by `_launchrequest.RequestBuilder` for every container of a step: `env[].valueFrom.fieldRef` and
`resourceFieldRef` (`env_source`, over the step's `StepPod`) and `$(VAR)` references (`expand`) in `env[].value`
and in the container's `command` and `args`.

- `fieldRef.fieldPath` as Kubernetes allows it in an environment variable: `metadata.name` (the node ID, the
  pod's name), `metadata.namespace`, `metadata.uid` (derived from the workflow's uid and the node ID: stable
  for a pod, new for a retry's), `metadata.labels['k']` / `metadata.annotations['k']` (what Argo puts on a
  workflow pod, then the workflow's `podMetadata`, then the template's `metadata`; a missing key is ""),
  `spec.nodeName` (`localhost`, the node's `hostNodeName`), `spec.serviceAccountName` (the template's, else the
  workflow's, else `default`), `status.hostIP(s)` and `status.podIP(s)` (127.0.0.1: steps share the host's
  network, the node's `podIP`). Any other path is the API server's "Unsupported value" error.
- `resourceFieldRef` (`limits.*` / `requests.*` of `cpu`, `memory`, `ephemeral-storage`, `hugepages-<size>`,
  `divisor`, `containerName`): a request not set is its limit (the API server's defaulting) or 0; a limit not set
  is the node's allocatable (the kubelet's), here the host's CPU count, memory and disk; CPU in
  ceil(millicores / divisor millicores), the others in ceil(bytes / divisor bytes), divisors as Kubernetes
  accepts them (`1`, `1m` for CPU; `1`, `1k`..`1E`, `1Ki`..`1Ei` for the others).
- `expand`: Kubernetes' `$(VAR)` expansion: a defined variable is replaced, an unknown reference stays as
  written, `$$` is one `$` (so `$$(VAR)` stays `$(VAR)`).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

from sluicegate.engine._jobs import Job
from sluicegate.engine._template import substitute
from sluicegate.errors import SluiceError
from sluicegate.store import Store

__all__ = ["NODE_NAME", "POD_IP", "StepPod", "env_source", "expand", "parse_quantity", "workflow_pod_metadata"]

#: The node every step runs on (a node's `hostNodeName`) and the address of every step's pod (its `podIP`).
NODE_NAME = "localhost"
POD_IP = "127.0.0.1"

_ADDRESSES = ("status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs")
_FIELDS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    *_ADDRESSES,
)
#: The maps a field path may subscript (`metadata.labels['k']`), and their key in a `metadata` block.
_SUBSCRIPTED = {"metadata.annotations": "annotations", "metadata.labels": "labels"}
_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_SUFFIXES = {
    **{s: Fraction(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    **{s: Fraction(10) ** e for s, e in (("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6))},
    **{s: Fraction(10) ** e for s, e in (("G", 9), ("T", 12), ("P", 15), ("E", 18))},
}
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?")
_CPU_DIVISORS = (Fraction(1, 1000), Fraction(1))
_BYTE_DIVISORS = tuple(Fraction(1000) ** i for i in range(7)) + tuple(Fraction(1024) ** i for i in range(1, 7))
_ANNOTATIONS = (
    "workflows.argoproj.io/node-name",
    "workflows.argoproj.io/node-id",
    "kubectl.kubernetes.io/default-container",
)


def expand(text: str, env: Mapping[str, str]) -> str:
    """`text` with Kubernetes' `$(VAR)` references to `env` replaced (`$$` -> `$`, unknown ones kept)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$" or i + 1 == len(text):
            out.append(text[i])
            i += 1
            continue
        after = text[i + 1]
        close = text.find(")", i + 2) if after == "(" else -1
        if close >= 0:
            name = text[i + 2 : close]
            out.append(env.get(name, f"$({name})"))
            i = close + 1
        else:  # `$$` is an escaped `$`; `$x` and an unclosed `$(` stay as they are
            out.append("$" if after == "$" else "$" + after)
            i += 2
    return "".join(out)


def parse_quantity(value: object, where: str) -> tuple[Fraction, str]:
    """A Kubernetes quantity (`500m`, `1.5Gi`, `2e3`): its value and its format (`binary`, `decimal`, `exponent`)."""
    match = _QUANTITY.fullmatch(str(value).strip())
    if match is None:
        raise SluiceError(
            f"quantity {value!r} is not a Kubernetes quantity",
            where=where,
            fix="write a number with an optional suffix: 500m, 2, 1.5Gi, 100M, 1e3",
        )
    number, exponent, suffix = match.group(1), match.group(2), match.group(3) or ""
    if exponent:
        return Fraction(number) * Fraction(10) ** int(exponent[1:]), "exponent"
    return Fraction(number) * _SUFFIXES[suffix], "binary" if suffix.endswith("i") else "decimal"


def workflow_pod_metadata(wf: dict[str, Any], scope: Callable[[], dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The labels and annotations of the workflow's `podMetadata`, its tags resolved in `scope()` (the globals).

    The Workflow's own keys over its WorkflowTemplate's, key by key (Argo joins the two specs with a
    strategic merge). Argo substitutes the workflow's global variables in its whole spec but the templates
    before it runs, so `{{workflow.parameters.x}}` there reaches every pod; an unresolved tag stays as written.
    """
    spec = wf.get("spec") or {}
    stored = (wf.get("status") or {}).get("storedWorkflowTemplateSpec") or {}
    metadata = [s.get("podMetadata") or {} for s in (stored, spec)]
    if not any(metadata):
        return {}  # most workflows: no copy of the globals for every step they start
    tags = scope()
    return {
        key: {k: str(substitute(v, tags)) for m in metadata for k, v in (m.get(key) or {}).items()}
        for key in _SUBSCRIPTED.values()
    }


class StepPod:
    """The pod of a step as the downward API sees it (the workflow is read from the store only when needed).

    Args:
        job: the step.
        store: the object store (the workflow's `serviceAccountName` and `podMetadata`).
        home: SLUICE_HOME (the disk whose size is the node's allocatable ephemeral storage).
    """

    def __init__(self, job: Job, store: Store, home: Path) -> None:
        self.job = job
        self.store = store
        self.home = home
        self.uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"pod:{job.namespace}/{job.workflow_uid}/{job.node_id}"))

    @cached_property
    def _workflow_spec(self) -> dict[str, Any]:
        doc = self.store.try_get("Workflow", self.job.namespace, self.job.workflow) or {}
        spec = dict(doc.get("spec") or {})
        stored = dict((doc.get("status") or {}).get("storedWorkflowTemplateSpec") or {})
        return {**stored, **spec}  # the Workflow's own fields over its WorkflowTemplate's

    @cached_property
    def containers(self) -> dict[str, dict[str, Any]]:
        """The pod's containers by name (a container or script template's is `main`)."""
        tmpl = self.job.template
        found = {str(c.get("name", "")): c for c in (tmpl.get("containerSet") or {}).get("containers") or []}
        if not found and ("script" in tmpl or "container" in tmpl):
            found["main"] = tmpl.get("script") or tmpl.get("container") or {}
        for extra in [*(tmpl.get("initContainers") or []), *(tmpl.get("sidecars") or [])]:
            found.setdefault(str(extra.get("name", "")), extra)
        return found

    def _metadata(self, field: str) -> dict[str, str]:
        job = self.job
        if field == "metadata.labels":
            own = {"workflows.argoproj.io/workflow": job.workflow, "workflows.argoproj.io/completed": "false"}
            if ".onExit" in job.node_name:
                own["workflows.argoproj.io/on-exit"] = "true"
        else:
            mains = [str(c.get("name", "")) for c in (job.template.get("containerSet") or {}).get("containers") or []]
            default = "main" if not mains or "main" in mains else mains[-1]
            own = dict(zip(_ANNOTATIONS, (job.node_name, job.node_id, default), strict=True))
        of_workflow = job.pod_metadata.get(_SUBSCRIPTED[field]) or {}
        of_template = (job.template.get("metadata") or {}).get(_SUBSCRIPTED[field]) or {}
        return {k: str(v) for k, v in {**own, **of_workflow, **of_template}.items()}

    def field(self, path: str) -> str | None:
        """The value of a downward API `fieldPath`, None when an environment variable may not name it."""
        if path.endswith("']") and "['" in path:
            base, key = path[:-2].split("['", 1)
            return self._metadata(base).get(key, "") if base in _SUBSCRIPTED and key else None
        values = {
            "metadata.name": lambda: self.job.node_id,
            "metadata.namespace": lambda: self.job.namespace,
            "metadata.uid": lambda: self.uid,
            "spec.nodeName": lambda: NODE_NAME,
            "spec.serviceAccountName": lambda: str(
                self.job.template.get("serviceAccountName")
                or self._workflow_spec.get("serviceAccountName")
                or "default"
            ),
        }
        if path in _ADDRESSES:  # the host's and the pod's, one each
            return POD_IP
        return values[path]() if path in values else None

    def allocatable(self, resource: str) -> Fraction:
        """The node's allocatable `resource` (the limit Kubernetes reports for a container without one)."""
        if resource == "cpu":
            return Fraction(os.cpu_count() or 1)
        if resource == "memory":
            return Fraction(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        if resource == "ephemeral-storage":
            return Fraction(shutil.disk_usage(self.home).total)
        return Fraction(0)  # hugepages: none set aside on this host


def env_source(pod: StepPod, container: str, var: dict[str, Any], where: str) -> str:
    """The value of an `env[]` entry's `valueFrom.fieldRef` or `valueFrom.resourceFieldRef` in `container`."""
    source = var.get("valueFrom") or {}
    where = f"{where}, env {var.get('name')!r}"
    if "fieldRef" in source:
        ref = source.get("fieldRef") or {}
        path, version = str(ref.get("fieldPath", "")), str(ref.get("apiVersion") or "v1")
        value = pod.field(path) if version == "v1" else None
        if value is None:
            supported = ", ".join(f'"{f}"' for f in (*_FIELDS, *(f"{s}['<key>']" for s in _SUBSCRIPTED)))
            raise SluiceError(
                f'valueFrom.fieldRef.fieldPath: Unsupported value: "{path}" (apiVersion {version!r})',
                where=where,
                fix=f"name one of the fields Kubernetes gives an environment variable (apiVersion v1): {supported}",
            )
        return value
    if "resourceFieldRef" not in source:
        raise SluiceError(
            f"valueFrom: Invalid value: {sorted(source)}: may not be empty",
            where=where,
            fix="give the variable a value, or one of configMapKeyRef, fieldRef, resourceFieldRef, secretKeyRef",
        )
    return _resource(pod, container, source.get("resourceFieldRef") or {}, where)


def _resource(pod: StepPod, container: str, ref: dict[str, Any], where: str) -> str:
    resource = str(ref.get("resource", ""))
    kind, _, name = resource.partition(".")
    if kind not in ("limits", "requests") or not (name in _RESOURCES or name.startswith("hugepages-")):
        raise SluiceError(
            f'valueFrom.resourceFieldRef.resource: Unsupported value: "{resource}"',
            where=where,
            fix="name limits.<r> or requests.<r> of cpu, memory, ephemeral-storage or hugepages-<size>",
        )
    divisor = _divisor(ref.get("divisor"), name == "cpu", where)
    target = str(ref.get("containerName") or container)
    if target not in pod.containers:
        raise SluiceError(
            f"CreateContainerConfigError: container {target} not found",
            where=where,
            fix=f"name one of the pod's containers in resourceFieldRef.containerName: {sorted(pod.containers)}",
        )
    resources = pod.containers[target].get("resources") or {}
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    # the API server defaults a request to its limit
    given = requests.get(name, limits.get(name)) if kind == "requests" else limits.get(name)
    if given is None:
        amount = pod.allocatable(name) if kind == "limits" else Fraction(0)
    else:
        amount = parse_quantity(given, f"{where}, resources.{kind}.{name}")[0]
    if name == "cpu":  # millicores, each rounded up as Quantity.MilliValue does
        return str(math.ceil(Fraction(math.ceil(amount * 1000)) / math.ceil(divisor * 1000)))
    return str(math.ceil(Fraction(math.ceil(amount)) / math.ceil(divisor)))


def _divisor(value: object, cpu: bool, where: str) -> Fraction:
    if value is None or value == "":
        return Fraction(1)
    amount, form = parse_quantity(value, f"{where}, resourceFieldRef.divisor")
    if amount == 0:
        return Fraction(1)
    if cpu:
        valid = amount in _CPU_DIVISORS and (form != "exponent" or amount == 1)
    else:
        powers = _BYTE_DIVISORS[:7] if form == "decimal" else _BYTE_DIVISORS[7:] if form == "binary" else ()
        valid = amount in powers or amount == 1
    if not valid:
        allowed = '"1", "1m"' if cpu else '"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi" .. "1Ei"'
        raise SluiceError(
            f'valueFrom.resourceFieldRef.divisor: Unsupported value: "{value}"',
            where=where,
            fix=f"use one of the divisors Kubernetes accepts: {allowed}",
        )
    return amount
