"""`evaluate` against a real MLflow server, plus the promotion rule and the report on their own."""

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from components.evaluate import CHALLENGER, CHAMPION, Comparison, decide, evaluate, render_html, render_markdown
from components.train import load_params, train
from tests.components.conftest import SAMPLE, run_component


def test_evaluate_promotes_first_model_and_rejects_a_worse_one(
    mlflow_server: str, model_name: str, tmp_path: Path
) -> None:
    client = MlflowClient(mlflow_server)
    good = train(load_params(None, ["model.C=0.1"]), model_name=model_name, tracking_uri=mlflow_server)
    first = evaluate(
        model_name=model_name,
        candidate_version=good.model_version,
        tracking_uri=mlflow_server,
        min_improvement=0.005,
        outputs_dir=tmp_path / "first",
    )
    assert (first.decision, first.champion_score) == ("promote", None)
    assert (tmp_path / "first" / "decision").read_text() == "promote"
    assert (tmp_path / "first" / "champion-score").read_text() == ""
    assert client.get_model_version_by_alias(model_name, CHALLENGER).version == good.model_version
    client.set_registered_model_alias(model_name, CHAMPION, good.model_version)

    worse = train(load_params(None, ["model.C=0.0005"]), model_name=model_name, tracking_uri=mlflow_server)
    second = evaluate(
        model_name=model_name,
        candidate_version=worse.model_version,
        tracking_uri=mlflow_server,
        min_improvement=0.005,
        outputs_dir=tmp_path / "second",
    )
    assert second.decision == "reject"
    assert second.champion_score == pytest.approx(good.metrics["f1"])
    assert second.candidate_score == pytest.approx(worse.metrics["f1"])
    assert (tmp_path / "second" / "decision").read_text() == "reject"
    assert client.get_model_version_by_alias(model_name, CHALLENGER).version == good.model_version
    tags = client.get_model_version(model_name, worse.model_version).tags
    assert tags["evaluate.decision"] == "reject" and tags["evaluate.run-id"] == second.run_id
    run = client.get_run(second.run_id)
    assert run.info.status == "FINISHED" and run.data.tags["sluicegate.decision"] == "reject"
    reports = {a.path for a in client.list_artifacts(second.run_id, "evaluation")}
    assert reports == {"evaluation/report.md", "evaluation/report.html"}


def test_evaluate_sample_commits_promote_in_demo_order(mlflow_server: str, model_name: str) -> None:
    """The demo's three commits: each wins offline, including the faulty one (scored through its estimator)."""
    client = MlflowClient(mlflow_server)
    for commit in ("1-baseline", "2-better", "3-faulty"):
        params = load_params(SAMPLE / "commits" / f"{commit}.yaml")
        trained = train(params, model_name=model_name, tracking_uri=mlflow_server)
        result = evaluate(
            model_name=model_name,
            candidate_version=trained.model_version,
            tracking_uri=mlflow_server,
            min_improvement=0.005,
        )
        assert result.decision == "promote", (commit, result.reason)
        client.set_registered_model_alias(model_name, CHAMPION, trained.model_version)


def test_evaluate_cli_unknown_version_is_one_line(mlflow_server: str, model_name: str, tmp_path: Path) -> None:
    out = run_component(
        "evaluate", "--model-name", model_name, "--candidate-version", "7",
        "--tracking-uri", mlflow_server, "--outputs-dir", str(tmp_path),
    )  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "not found" in out.stderr and mlflow_server in out.stderr


@pytest.mark.parametrize(
    ("candidate", "champion", "needed", "expected"),
    [
        (0.90, None, 0.01, "promote"),
        (0.95, 0.94, 0.01, "promote"),
        (0.945, 0.94, 0.01, "reject"),
        (0.94, 0.94, 0.0, "reject"),
        (0.93, 0.94, 0.0, "reject"),
        (0.9401, 0.94, 0.0, "promote"),
    ],
)
def test_decide_needs_a_strict_gain_of_at_least_min_improvement(
    candidate: float, champion: float | None, needed: float, expected: str
) -> None:
    assert decide(candidate, champion, needed)[0] == expected


def test_decide_rejects_the_champion_itself() -> None:
    assert decide(0.99, 0.5, 0.0, same_version=True) == ("reject", "the candidate already is the champion")


def test_report_shows_both_models_and_the_decision() -> None:
    c = Comparison(
        model_name="m<x>",
        candidate_version="2",
        champion_version="1",
        metric="f1",
        candidate={"accuracy": 0.9, "f1": 0.8},
        champion={"accuracy": 0.85, "f1": 0.82},
        decision="reject",
        reason="worse",
        holdout="breast_cancer",
    )
    md = render_markdown(c)
    assert "| f1 | 0.8000 | 0.8200 | -0.0200 |" in md and "**Decision: reject**" in md
    page = render_html(c)
    assert page.count("<rect") == 4 and "m&lt;x&gt;" in page and "<svg" in page
