"""Every component CLI answers a user error with ONE line on stderr, no traceback, and a non-zero exit."""

from pathlib import Path

import pytest

from sluicegate.services import free_port
from tests.components.conftest import run_component

DEAD = f"http://127.0.0.1:{free_port()}"  # nothing listens here


def assert_one_line_error(out, *needles: str) -> None:
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_train_unknown_dataset_names_accepted_values() -> None:
    out = run_component("train", "--model-name", "m", "--tracking-uri", DEAD, "--dataset", "iris")
    assert_one_line_error(out, "unknown dataset 'iris'", "breast_cancer, wine, digits")


def test_train_unreachable_mlflow_names_the_uri(tmp_path: Path) -> None:
    out = run_component("train", "--model-name", "m", "--tracking-uri", DEAD, "--outputs-dir", str(tmp_path))
    assert_one_line_error(out, f"cannot reach MLflow at {DEAD}")
    assert not any(tmp_path.iterdir())


def test_train_invalid_hyperparameter_names_key_and_range() -> None:
    out = run_component("train", "--model-name", "m", "--tracking-uri", DEAD, "--set", "model.C=0")
    assert_one_line_error(out, "--set model.C", "greater than 0", "(got 0)")


def test_train_malformed_params_names_file_and_key(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("model:\n  type: random_forest\n  n_estimators: many\n")
    out = run_component("train", "--model-name", "m", "--tracking-uri", DEAD, "--params-file", str(params))
    assert_one_line_error(out, str(params), "model.n_estimators", "valid integer")


def test_train_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("model: {type: random_forest\n")
    out = run_component("train", "--model-name", "m", "--tracking-uri", DEAD, "--params-file", str(params))
    assert_one_line_error(out, f"{params}:", "not valid YAML")


def test_train_missing_argument_is_one_line() -> None:
    out = run_component("train", "--model-name", "m")
    assert_one_line_error(out, "--tracking-uri")


@pytest.mark.parametrize(
    ("module", "args", "needle"),
    [
        ("evaluate", ["--min-improvement", "2"], "--min-improvement 2.0 is out of range"),
        ("evaluate", ["--min-improvement", "x"], "invalid float value"),
        ("build", ["--target", "k8s"], "accepted values: local, cluster"),
        ("build", ["--model-uri", "runs:/abc/model"], "not of the form models:/NAME/VERSION"),
        ("stress_test", ["--url", "ftp://x"], "is not an http(s) URL"),
        ("stress_test", ["--rps", "0"], "--rps 0.0 is out of range"),
        ("stress_test", ["--tracking-uri", DEAD], f"cannot reach MLflow at {DEAD}"),
        ("lineage", ["--rollout", "churn"], "--rollout 'churn' is not NAMESPACE/NAME"),
        ("lineage", ["--model-version", "latest"], "--model-version 'latest' is not a version number"),
        ("lineage", ["--revision", "2a"], "--revision '2a' is not a revision number"),
        ("lineage", [], f"cannot reach MLflow at {DEAD}"),
    ],
    ids=[
        *("evaluate-range", "evaluate-float", "build-target", "build-uri", "stress-url", "stress-rps", "stress-mlflow"),
        *("lineage-rollout", "lineage-version", "lineage-revision", "lineage-mlflow"),
    ],
)
def test_cli_bad_input_is_one_line(module: str, args: list[str], needle: str, tmp_path: Path) -> None:
    base = {
        "evaluate": ["--model-name", "m", "--candidate-version", "1", "--tracking-uri", DEAD],
        "build": ["--model-uri", "models:/m/1", "--tracking-uri", DEAD, "--out", str(tmp_path / "b")],
        "stress_test": [
            *("--url", "http://127.0.0.1:1", "--rps", "5", "--duration", "1"),
            *("--p99-latency-ms", "100", "--max-error-rate", "0.1"),
        ],
        "lineage": ["--model-name", "m", "--model-version", "1", "--rollout", "sluicegate/m", "--tracking-uri", DEAD],
    }[module]
    merged = dict(zip(base[::2], base[1::2], strict=True))
    merged.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = [x for kv in merged.items() for x in kv]
    out = run_component(module, *argv, "--outputs-dir", str(tmp_path / "out"))
    assert_one_line_error(out, needle)


@pytest.mark.parametrize("module", ["train", "evaluate", "build", "stress_test", "lineage"])
def test_cli_help_works(module: str) -> None:
    out = run_component(module, "--help")
    assert out.returncode == 0 and "--outputs-dir" in out.stdout


def test_user_error_is_also_the_termination_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "termination-log"
    monkeypatch.setenv("SLUICE_TERMINATION_LOG", str(log))
    out = run_component("train", "--model-name", "m", "--tracking-uri", DEAD, "--set", "model.C=0")
    assert_one_line_error(out, "--set model.C")
    said = log.read_text()
    assert "\n" not in said and "--set model.C" in said and "greater than 0" in said
    assert out.stderr.strip().endswith(said)


def test_usage_error_is_also_the_termination_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "termination-log"
    monkeypatch.setenv("SLUICE_TERMINATION_LOG", str(log))
    out = run_component("train", "--model-name", "m")
    assert_one_line_error(out, "--tracking-uri")
    assert "--tracking-uri" in log.read_text() and "--help" in log.read_text()
