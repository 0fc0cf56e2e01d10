from pathlib import Path

import pytest
import yaml

from components._common import DATASETS, UserError
from components.train import LogisticRegressionParams, RandomForestParams, TrainParams, apply_overrides, load_params
from tests.components.conftest import SAMPLE


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


def test_params_defaults_without_file() -> None:
    params = load_params(None)
    assert params.dataset == "breast_cancer"
    assert isinstance(params.model, LogisticRegressionParams)
    assert params.fault is None


def test_params_dataset_names_match_loader() -> None:
    literal = TrainParams.model_fields["dataset"].annotation
    assert set(literal.__args__) == set(DATASETS)


def test_params_file_and_overrides_merge(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  type: random_forest\n  n_estimators: 10\nseed: 3\n")
    params = load_params(path, ["model.max_depth=4", "seed=", "test_size=0.3"], dataset="wine")
    assert isinstance(params.model, RandomForestParams)
    assert (params.model.n_estimators, params.model.max_depth) == (10, 4)
    assert (params.seed, params.test_size, params.dataset) == (3, 0.3, "wine")


def test_params_model_without_type_is_logistic_regression() -> None:
    params = load_params(None, ["model.C=0.25"])
    assert isinstance(params.model, LogisticRegressionParams) and params.model.C == 0.25


def test_params_out_of_range_names_key_range_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  type: random_forest\n  max_depth: 0\n")
    with pytest.raises(UserError) as e:
        load_params(path)
    assert f"{path}: model.max_depth" in str(e.value)
    assert "greater than or equal to 1" in str(e.value) and "(got 0)" in str(e.value)


def test_params_override_error_names_the_flag() -> None:
    with pytest.raises(UserError, match=r"--set model\.C: input should be greater than 0 \(got -1\)"):
        load_params(None, ["model.C=-1"])


def test_params_unknown_key_lists_accepted_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  type: logistic_regression\n  alpha: 1\n")
    with pytest.raises(UserError, match=r"model\.alpha: unknown key; accepted keys here: C, class_weight, max_iter"):
        load_params(path)


def test_params_unknown_model_type_lists_types() -> None:
    with pytest.raises(UserError, match="must be one of logistic_regression, random_forest, gradient_boosting"):
        load_params(None, ["model.type=svm"])


def test_params_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "seed: 1\nmodel: [\n")
    with pytest.raises(UserError, match=rf"{path}:\d+: not valid YAML"):
        load_params(path)


def test_params_top_level_list_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a mapping"):
        load_params(write(tmp_path, "- 1\n- 2\n"))


def test_params_unknown_dataset_lists_accepted_values() -> None:
    with pytest.raises(UserError, match="accepted values: breast_cancer, wine, digits"):
        load_params(None, dataset="iris")


def test_params_fault_rate_is_bounded() -> None:
    with pytest.raises(UserError, match=r"--set fault\.error_rate: input should be less than or equal to 1"):
        load_params(None, ["fault.error_rate=1.5"])


def test_params_override_without_equals_is_rejected() -> None:
    with pytest.raises(UserError, match="is not KEY=VALUE"):
        apply_overrides({}, ["model.C"])


def test_params_flat_leaves_out_unset_values() -> None:
    flat = load_params(None, ["model.C=2"]).flat()
    assert flat["model.C"] == "2.0" and flat["model.type"] == "logistic_regression"
    assert "fault" not in flat and "model.class_weight" not in flat


@pytest.mark.parametrize("path", sorted([SAMPLE / "params.yaml", *(SAMPLE / "commits").glob("*.yaml")]))
def test_sample_project_params_validate(path: Path) -> None:
    params = load_params(path)
    assert yaml.safe_load(path.read_text())["model"]["type"] == params.model.type
