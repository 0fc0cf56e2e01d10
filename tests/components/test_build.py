"""`build` against a real MLflow server: the local bundle, the Kaniko context, and the content digest."""

import json
from pathlib import Path

import mlflow
import pytest

from components._common import UserError, load_dataset
from components.build import BUNDLE_FORMAT, build, bundle_digest
from components.train import TrainResult, load_params, train
from tests.components.conftest import unique_name


@pytest.fixture(scope="module")
def trained(mlflow_server: str) -> tuple[str, TrainResult]:
    name = unique_name("build-model")
    return name, train(load_params(None), model_name=name, tracking_uri=mlflow_server, git_revision="feedbeef")


def test_build_local_bundle_is_servable_and_reproducible(
    mlflow_server: str, trained: tuple[str, TrainResult], tmp_path: Path
) -> None:
    name, result = trained
    first = build(
        model_uri=result.model_uri, model_version=result.model_version, tracking_uri=mlflow_server,
        target="local", out=tmp_path / "a", outputs_dir=tmp_path / "outputs",
    )  # fmt: skip
    again = build(model_uri=result.model_uri, tracking_uri=mlflow_server, target="local", out=tmp_path / "b")
    assert first.digest == again.digest and first.digest.startswith("sha256:")
    assert (tmp_path / "outputs" / "bundle-digest").read_text() == first.digest
    assert bundle_digest(tmp_path / "a") == first.digest
    assert not (tmp_path / "a" / "Dockerfile").exists()

    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["format"] == BUNDLE_FORMAT
    assert (manifest["name"], manifest["version"], manifest["run_id"]) == (name, result.model_version, result.run_id)
    assert manifest["model_uri"] == result.model_uri and manifest["git.revision"] == "feedbeef"
    model = mlflow.pyfunc.load_model(str(tmp_path / "a" / "model"))
    assert len(model.predict(load_dataset("breast_cancer").X.head(4))) == 4


def test_build_cluster_context_has_dockerfile_for_the_server(
    mlflow_server: str, trained: tuple[str, TrainResult], tmp_path: Path
) -> None:
    _, result = trained
    out = tmp_path / "ctx"
    built = build(
        model_uri=result.model_uri, tracking_uri=mlflow_server, target="cluster", out=out, base_image="reg/img:1"
    )
    dockerfile = (out / "Dockerfile").read_text()
    assert dockerfile.splitlines()[1] == "FROM reg/img:1"
    assert "COPY model/ /model/" in dockerfile and "COPY manifest.json /model/manifest.json" in dockerfile
    assert '"components.serve", "--model-uri", "/model"' in dockerfile
    assert (out / "model" / "MLmodel").exists()
    assert built.digest != bundle_digest(out / "model")


def test_build_refuses_a_used_folder_and_a_mismatched_version(
    mlflow_server: str, trained: tuple[str, TrainResult], tmp_path: Path
) -> None:
    _, result = trained
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(UserError, match="is not an empty folder"):
        build(model_uri=result.model_uri, tracking_uri=mlflow_server, target="local", out=tmp_path / "used")
    with pytest.raises(UserError, match="does not match"):
        build(
            model_uri=result.model_uri, model_version="99", tracking_uri=mlflow_server, target="local",
            out=tmp_path / "new",
        )  # fmt: skip


def test_bundle_digest_follows_content_and_paths_not_times(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("one")
    (tmp_path / "b.txt").write_text("two")
    before = bundle_digest(tmp_path)
    (tmp_path / "b.txt").touch()
    assert bundle_digest(tmp_path) == before
    (tmp_path / "b.txt").write_text("three")
    assert bundle_digest(tmp_path) != before
    (tmp_path / "b.txt").write_text("two")
    (tmp_path / "b.txt").rename(tmp_path / "c.txt")
    assert bundle_digest(tmp_path) != before
