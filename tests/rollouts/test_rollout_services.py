"""A metric provider reaches a Rollout's Services (`<rollout>`, `<rollout>-stable`/`-canary`) at their local URLs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sluicegate.documents import RolloutStatus
from sluicegate.rollouts._services import Runtime, resolve_services


def _runtime(ns: str, name: str, **procs: str) -> tuple[Runtime, RolloutStatus]:
    """A Rollout whose splitter is at `http://split/<ns>` and whose `role=model` servers are at `http://<role>/<ns>`."""
    splitter: Any = SimpleNamespace(url=f"http://split/{ns}")
    rt = Runtime(ns, name, splitter)
    for role, model in procs.items():
        server: Any = SimpleNamespace(url=f"http://{role}/{ns}")
        rt.procs[model] = server
    return rt, RolloutStatus(stable_model=procs.get("stable"), canary_model=procs.get("canary"))


def _resolve(text: str, *rollouts: tuple[Runtime, RolloutStatus]) -> str:
    statuses = {id(rt): st for rt, st in rollouts}
    return resolve_services(text, [rt for rt, _ in rollouts], lambda rt: statuses[id(rt)])


def test_every_host_form_of_a_service_maps_to_its_local_url() -> None:
    ro = _runtime("ns1", "ro", stable="models:/m/1", canary="models:/m/2")
    for host in ("ro-canary", "ro-canary.ns1", "ro-canary.ns1.svc", "ro-canary.ns1.svc.cluster.local"):
        assert _resolve(f"url=http://{host}:8080/invocations", ro) == "url=http://canary/ns1/invocations"
    assert _resolve("https://ro-stable/x", ro) == "http://stable/ns1/x"
    assert _resolve("http://ro.ns1.svc/x", ro) == "http://split/ns1/x"
    assert ro[0].backend_urls(ro[1]) == {"ro-stable": "http://stable/ns1", "ro-canary": "http://canary/ns1"}


def test_a_namespace_in_the_host_picks_that_namespace_s_rollout() -> None:
    one, two = _runtime("ns1", "ro", canary="models:/m/2"), _runtime("ns2", "ro", canary="models:/m/3")
    assert _resolve("http://ro-canary.ns2.svc", one, two) == "http://canary/ns2"
    assert _resolve("http://ro-canary", one, two) == "http://canary/ns1"  # no namespace: the first Rollout's
    assert _resolve("http://ro-canary.ns3", one, two) == "http://ro-canary.ns3"


def test_unknown_services_roles_without_a_server_and_other_hosts_stay() -> None:
    ro = _runtime("ns1", "ro", stable="models:/m/1")
    for text in ("http://ro-canary/x", "http://other/x", "http://example.com/x", "http://Ro/x", "ro-stable"):
        assert _resolve(text, ro) == text
