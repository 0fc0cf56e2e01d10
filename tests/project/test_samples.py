"""The shipped sample model projects are valid: sluicegate.yaml, MLproject and the environment all check out."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.project import check_project, load_config, load_mlproject, resolve_env

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "projects").iterdir())


@pytest.mark.parametrize("root", SAMPLES, ids=lambda p: p.name)
def test_sample_project_checks_out(root: Path) -> None:
    assert [str(e) for e in check_project(root)] == []
    config = load_config(root)
    header = (root / config.evaluation.data).read_text().splitlines()[0].split(",")
    assert config.evaluation.target in header
    assert resolve_env(root, load_mlproject(root)).dependencies


def test_lightgbm_sample_is_a_regression_with_its_data_committed() -> None:
    root = next(p for p in SAMPLES if p.name == "diabetes-lightgbm")
    config = load_config(root)
    assert config.evaluation.model_type == "regressor"
    assert config.metric_threshold() == (
        "root_mean_squared_error",
        {"greater_is_better": False, "min_relative_change": 0.01},
    )
    assert any(line.startswith("lightgbm==") for line in resolve_env(root, load_mlproject(root)).dependencies)
