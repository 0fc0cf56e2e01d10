"""sluicegate.yaml: defaults for everything but the name, and one-line errors naming file, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from components._common import UserError
from components.project import ProjectConfig, load_config


def _load(root: Path, text: str) -> ProjectConfig:
    (root / "sluicegate.yaml").write_text(text)
    return load_config(root)


def test_config_only_name_gives_defaults(tmp_path: Path) -> None:
    config = _load(tmp_path, "name: house-prices\n")
    assert config.train.entry_point == "main"
    assert config.evaluation.model_type == "classifier"
    assert config.metric_threshold() == ("accuracy_score", {"greater_is_better": True, "min_relative_change": 0.005})


def test_config_regressor_defaults_to_rmse_lower_is_better(tmp_path: Path) -> None:
    config = _load(tmp_path, "name: m\nevaluation: {model_type: regressor, target: price}\n")
    metric, kwargs = config.metric_threshold()
    assert metric == "root_mean_squared_error"
    assert kwargs["greater_is_better"] is False


def test_config_threshold_fields_pass_through(tmp_path: Path) -> None:
    config = _load(tmp_path, "name: m\npromotion: {metric: f1_score, threshold: 0.8, min_absolute_change: 0.01}\n")
    assert config.metric_threshold() == (
        "f1_score",
        {"greater_is_better": True, "threshold": 0.8, "min_absolute_change": 0.01},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("train: {}\n", "sluicegate.yaml: name: required"),
        ("name: Bad_Name\n", "sluicegate.yaml: name: must be lowercase"),
        ("name: 9lives\n", "start with a letter"),
        (f"name: {'a' * 57}\n", "1-56 characters"),
        ("name: m\ntrian: {}\n", "sluicegate.yaml: trian: unknown key"),
        ("name: m\nevaluation: {model_type: ranker}\n", "sluicegate.yaml: evaluation.model_type:"),
        ("name: m\nevaluation: {data: ../secret.csv}\n", "evaluation.data: a repository path must be relative"),
        ("name: m\nevaluation: {data: data.json}\n", "must end in .csv or .parquet"),
        ("name: m\npromotion: {min_absolute_change: 0}\n", "promotion.min_absolute_change: input should be greater"),
        ("name: m\npromotion: {metric: my_score}\n", "promotion.greater_is_better is required for metric 'my_score'"),
        ("name: m\ncanary: {pause: soon}\n", "canary.pause: must be a duration"),
        ("name: m\nstress_test: {max_error_rate: 2}\n", "stress_test.max_error_rate:"),
        ("name: m\n  bad: [\n", "sluicegate.yaml:2: not valid YAML"),
        ("- name: m\n", "the top level is a list, not a mapping"),
    ],
)
def test_config_bad_input_is_one_line_with_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(UserError) as info:
        _load(tmp_path, text)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert info.value.fix


def test_config_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"sluicegate.yaml: no such file at the project root; add sluicegate.yaml"):
        load_config(tmp_path)


def test_config_evaluation_data_may_be_an_mlflow_uri(tmp_path: Path) -> None:
    config = _load(tmp_path, "name: m\nevaluation: {data: 'runs:/abc/eval.parquet'}\n")
    assert config.evaluation.data == "runs:/abc/eval.parquet"
