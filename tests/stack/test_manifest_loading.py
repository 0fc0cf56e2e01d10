"""Reading YAML files and folders for `sluice apply` and the start-up apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluicegate.errors import ManifestError
from sluicegate.manifests import default_namespace, load_manifests


def test_load_manifests_orders_templates_first_and_defaults_namespace(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "kind: Sensor\nmetadata: {name: s}\n---\nkind: WorkflowTemplate\nmetadata: {name: t, namespace: ml}\n"
    )
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.yml").write_text("kind: ClusterWorkflowTemplate\nmetadata: {name: c, namespace: ignored}\n---\n")
    (sub / "notes.txt").write_text("not yaml: [")
    docs = [(where, default_namespace(doc)) for where, doc in load_manifests([tmp_path])]
    assert [(d["kind"], d["metadata"]["namespace"]) for _, d in docs] == [
        ("ClusterWorkflowTemplate", ""),
        ("WorkflowTemplate", "ml"),
        ("Sensor", "sluicegate"),
    ]
    assert docs[1][0].endswith("a.yaml#1")


def test_load_manifests_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: X\nmetadata: {name: [unclosed\n")
    with pytest.raises(ManifestError, match=r"bad\.yaml:\d"):
        load_manifests([bad])


@pytest.mark.parametrize("text", ["- 1\n- 2\n", "kind: X\n", "kind: X\nmetadata: {labels: {}}\n"])
def test_load_manifests_rejects_non_objects_and_unnamed(tmp_path: Path, text: str) -> None:
    f = tmp_path / "x.yaml"
    f.write_text(text)
    with pytest.raises(ManifestError, match=r"x\.yaml#0"):
        load_manifests([f])


def test_load_manifests_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist"):
        load_manifests([tmp_path / "nope"])
