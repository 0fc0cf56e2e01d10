"""`sluice deploy` without a usable cluster fails with ONE clear line (run as a real subprocess)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sluicegate.backends import ClusterBackend, connect, same_object
from sluicegate.errors import ConfigError, ServiceError

REPO = Path(__file__).resolve().parents[2]


def _kubeconfig(path: Path, server: str, contexts: tuple[str, ...] = ("dev",)) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": "c", "user": "u"}} for n in contexts],
        "current-context": contexts[0],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sluice(*args: str, kubeconfig: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["HOME"] = str(kubeconfig.parent if kubeconfig else REPO / "tests" / "backends")
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    return subprocess.run(
        [sys.executable, "-m", "sluicegate", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_dry_run_unreachable_cluster_is_one_line(tmp_path):
    kc = _kubeconfig(tmp_path / "config", f"https://127.0.0.1:{_closed_port()}")
    result = _sluice("deploy", "--context", "dev", "--dry-run", kubeconfig=kc)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cluster 'dev'")
    assert "unreachable" in lines[0]
    assert result.stdout == ""


def test_deploy_unknown_context_lists_the_known_ones(tmp_path):
    kc = _kubeconfig(tmp_path / "config", "https://127.0.0.1:1", contexts=("dev", "prod"))
    result = _sluice("deploy", "--context", "staging", "--dry-run", kubeconfig=kc)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unknown context 'staging'" in lines[0]
    assert "dev, prod" in lines[0]


def test_deploy_without_kubeconfig_says_how_to_get_one(tmp_path):
    result = _sluice("deploy", "--context", "dev", "--dry-run", "--kubeconfig", str(tmp_path / "none"), kubeconfig=None)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no usable kubeconfig" in lines[0]
    assert "get-credentials" in lines[0]


def test_connect_unreachable_raises_service_error(tmp_path):
    kc = _kubeconfig(tmp_path / "config", f"https://127.0.0.1:{_closed_port()}")
    with pytest.raises(ServiceError, match="unreachable"):
        connect("dev", str(kc), timeout=2)


def test_cluster_backend_without_api_refuses_apply():
    with pytest.raises(ConfigError, match="sluice deploy --context"):
        ClusterBackend(None).apply([{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}}])


def test_cluster_backend_without_argo_server_asks_for_one():
    with pytest.raises(ConfigError, match="--server"):
        ClusterBackend(None, "dev").get("wf")


def test_same_object_ignores_bookkeeping_but_not_spec():
    before = {
        "kind": "Rollout",
        "metadata": {"name": "m", "resourceVersion": "1", "managedFields": [{"manager": "x"}], "generation": 1},
        "spec": {"replicas": 2},
        "status": {"phase": "Healthy"},
    }
    same = {**before, "metadata": {**before["metadata"], "resourceVersion": "9"}, "status": {}}
    changed = {**before, "spec": {"replicas": 3}}
    labelled = {**before, "metadata": {**before["metadata"], "labels": {"a": "b"}}}
    assert same_object(before, same)
    assert not same_object(before, changed)
    assert not same_object(before, labelled)
