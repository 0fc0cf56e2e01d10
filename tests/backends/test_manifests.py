from pathlib import Path

import pytest

from sluicegate.errors import ConfigError, ManifestError
from sluicegate.manifests import APPLY_ORDER, apply_order, rendered_documents

REPO = Path(__file__).resolve().parents[2]


def _doc(kind: str, name: str) -> dict:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "sluicegate"}}


def test_apply_order_templates_before_sensors_and_rollouts():
    docs = [
        _doc("CronWorkflow", "retrain"),
        _doc("Rollout", "breast-cancer"),
        _doc("Sensor", "train-on-push"),
        _doc("AnalysisTemplate", "success-rate"),
        _doc("WorkflowTemplate", "train"),
        _doc("EventBus", "default"),
        _doc("RoleBinding", "pipeline"),
        _doc("ServiceAccount", "pipeline"),
        _doc("EventSource", "github"),
        _doc("Service", "breast-cancer"),
        _doc("Frobnicator", "x"),
    ]
    kinds = [d["kind"] for d in apply_order(docs)]
    assert kinds == [
        "ServiceAccount",
        "RoleBinding",
        "WorkflowTemplate",
        "EventBus",
        "EventSource",
        "Sensor",
        "AnalysisTemplate",
        "Service",
        "Rollout",
        "CronWorkflow",
        "Frobnicator",
    ]


def test_apply_order_is_stable_by_name_within_a_kind():
    docs = [_doc("WorkflowTemplate", n) for n in ("train", "build", "evaluate")]
    assert [d["metadata"]["name"] for d in apply_order(docs)] == ["build", "evaluate", "train"]


def test_apply_order_rejects_a_document_without_name():
    with pytest.raises(ManifestError, match=r"metadata\.name"):
        apply_order([{"kind": "Sensor", "metadata": {}}])


def test_load_manifests_reads_the_rendered_directory():
    docs = rendered_documents(REPO / "manifests")
    kinds = {d["kind"] for d in docs}
    assert {"WorkflowTemplate", "Sensor"} <= kinds
    assert kinds <= set(APPLY_ORDER), f"render writes kinds deploy does not order: {kinds - set(APPLY_ORDER)}"


def test_load_manifests_missing_directory_says_how_to_render(tmp_path):
    with pytest.raises(ConfigError, match="sluice render"):
        rendered_documents(tmp_path / "nope")


def test_load_manifests_bad_yaml_names_the_file(tmp_path):
    (tmp_path / "sensor-x.yaml").write_text("kind: Sensor\nmetadata: {name: [\n")
    with pytest.raises(ManifestError, match=r"sensor-x\.yaml"):
        rendered_documents(tmp_path)
