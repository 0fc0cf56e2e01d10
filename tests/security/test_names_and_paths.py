"""Object names are DNS-1123 on every way in, and paths built from names or keys stay under their root."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.engine._artifacts import load, save
from sluicegate.errors import ManifestError
from sluicegate.part import StackContext
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

TOKEN = "t"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ESCAPES = ["../../../../tmp/x", "..", "a/b", "{0}", "Upper", "-lead", "trail-", "a" * 254, "x_y"]


def _doc(kind: str, **meta: str) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": {"namespace": "sluicegate", **meta}}


@pytest.mark.parametrize("name", ESCAPES)
def test_store_refuses_a_name_that_is_not_dns1123(tmp_path: Path, name: str) -> None:
    store = Store(tmp_path / "s.db")
    for create in (store.create, store.apply):
        with pytest.raises(ManifestError) as e:
            create(_doc("Rollout", name=name))
        assert e.value.http_status == 400 and "Rollout: metadata.name" in str(e.value)
    assert store.list("Rollout") == []


def test_store_checks_generate_name_and_namespace(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    assert store.create(_doc("Workflow", generateName="wf-"))["metadata"]["name"].startswith("wf-")
    with pytest.raises(ManifestError, match=r"metadata\.generateName"):
        store.create(_doc("Workflow", generateName="../x-"))
    bad_ns = _doc("Workflow", name="ok")
    bad_ns["metadata"]["namespace"] = "../../etc"
    with pytest.raises(ManifestError, match=r"metadata\.namespace"):
        store.create(bad_ns)
    assert store.create(_doc("Workflow", name="a.b-1"))["metadata"]["name"] == "a.b-1"


def test_api_answers_400_with_the_field_path_for_a_traversing_name(tmp_path: Path) -> None:
    ctx = StackContext(Settings(home=tmp_path, api_port=0), Store(tmp_path / "s.db"), SecretStore(tmp_path), TOKEN)
    api = ApiServer()
    url = api.start(ctx)["api"]
    workflow = {
        "metadata": {"name": "../../../../tmp/x"},
        "spec": {"entrypoint": "m", "templates": [{"name": "m", "container": {"image": "a", "command": ["true"]}}]},
    }
    with httpx.Client(base_url=url, timeout=30) as client:
        r = client.post("/api/v1/workflows/sluicegate", json={"workflow": workflow}, headers=AUTH)
        assert r.status_code == 400, r.text
        assert "metadata.name" in r.json()["message"]
        r = client.post(
            "/api/v1/workflows/sluicegate",
            json={"workflow": {**workflow, "metadata": {"name": "{0}"}}},
            headers=AUTH,
        )
        assert r.status_code == 400
    api.stop()
    assert not (tmp_path / "logs").exists() or not any((tmp_path / "logs").rglob("*"))


def test_output_artifact_key_cannot_leave_the_repository(tmp_path: Path) -> None:
    repo, src = tmp_path / "repo", tmp_path / "out.txt"
    repo.mkdir()
    src.write_text("data")
    art = {"name": "a", "path": "/tmp/out.txt", "archive": {"none": {}}, "s3": {"key": "../../escaped"}}
    with pytest.raises(ManifestError, match=r"s3\.key"):
        save(repo, "wf/node", art, src)
    assert not (tmp_path.parent / "escaped").exists()
    assert save(repo, "wf/node", {**art, "s3": {"key": "ok/in"}}, src)["s3"]["key"] == "ok/in"


def test_input_artifact_key_cannot_read_outside_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "secret").write_text("host file")
    for key in ("../secret", "../../../../etc/hostname"):
        with pytest.raises(ManifestError, match=r"s3\.key"):
            load(repo, {"name": "a", "s3": {"key": key}}, tmp_path / "dest" / "a")
    assert not (tmp_path / "dest" / "a").exists()
