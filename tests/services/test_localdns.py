from sluicegate.localdns import replace_services, resolve, role_service, service_map

ENDPOINTS = {
    "mlflow": "http://127.0.0.1:5000",
    "services": {"breast-cancer": "http://127.0.0.1:40123"},
    "serviceBackends": {"breast-cancer-canary": "http://127.0.0.1:40200/"},
    "eventsources": {
        "workflow-events": "http://127.0.0.1:12002/workflow-outcome",
        "mlflow/run-finished": "http://127.0.0.1:12001/x",
    },
}


def test_cluster_urls_of_known_services_become_local() -> None:
    services = service_map(ENDPOINTS)
    assert (
        resolve("--tracking-uri=http://mlflow.sluicegate.svc:5000", services) == "--tracking-uri=http://127.0.0.1:5000"
    )
    assert resolve("http://breast-cancer.sluicegate.svc.cluster.local/invocations", services) == (
        "http://127.0.0.1:40123/invocations"
    )
    assert resolve("url=http://breast-cancer-canary.sluicegate.svc", services) == "url=http://127.0.0.1:40200"


def test_unknown_services_and_other_hosts_are_left_alone() -> None:
    services = service_map(ENDPOINTS)
    for text in ("http://other.sluicegate.svc:80/x", "https://mlflow.example.com", "mlflow.sluicegate.svc", "plain"):
        assert resolve(text, services) == text


def test_a_longer_host_is_not_a_service_prefix_match() -> None:
    services = service_map(ENDPOINTS)
    assert resolve("http://mlflow.sluicegate.svcx:5000", services) == "http://mlflow.sluicegate.svcx:5000"


def test_eventsource_services_resolve_to_their_port() -> None:
    services = service_map(ENDPOINTS)
    url = "http://workflow-events-eventsource-svc.sluicegate.svc:12002/workflow-outcome"
    assert resolve(url, services) == "http://127.0.0.1:12002/workflow-outcome"
    assert resolve("http://mlflow-eventsource-svc.sluicegate.svc:12001/x", services) == "http://127.0.0.1:12001/x"


def test_a_rollout_s_role_services_get_its_url_until_the_controller_publishes_their_servers() -> None:
    services = service_map(ENDPOINTS)
    assert role_service("breast-cancer", "stable") == "breast-cancer-stable"
    assert services["breast-cancer-stable"] == "http://127.0.0.1:40123"  # no server published: the splitter
    assert services["breast-cancer-canary"] == "http://127.0.0.1:40200"


def test_bare_hosts_are_services_only_when_asked_for() -> None:
    seen: list[tuple[str, str | None]] = []

    def local(svc: str, ns: str | None) -> str:
        seen.append((svc, ns))
        return "http://127.0.0.1:1"

    hosts = ("ro-canary", "ro-canary.ns", "ro-canary.ns.svc", "ro-canary.ns.svc.cluster.local")
    for host in hosts:
        assert replace_services(f"http://{host}:80/x", local, bare=True) == "http://127.0.0.1:1/x"
    assert seen == [("ro-canary", None), ("ro-canary", "ns"), ("ro-canary", "ns"), ("ro-canary", "ns")]
    for host in hosts[:2]:
        assert replace_services(f"http://{host}/x", local) == f"http://{host}/x"
    assert replace_services("http://ro-canary.ns.svc_x", local) == "http://ro-canary.ns.svc_x"  # not where it ends
