"""The demo's verdicts: each push must end exactly as its expected outcome says, or the demo fails."""

from sluicegate.demo._scenario import Push, PushResult, _check

FULL = Push("1.yaml", "first", "Succeeded", "full")
PROMOTED = Push("2.yaml", "better", "Succeeded", "promoted")
ABORTED = Push("3.yaml", "faulty", "Failed", "aborted")


def result(push: Push, **kw: object) -> PushResult:
    r = PushResult(push, sha="abc", workflow="wf", version="2", **kw)  # type: ignore[arg-type]
    _check(r, push, {"message": "boom"})
    return r


def test_promoted_push_needs_stable_champion_and_a_successful_analysis() -> None:
    ok = result(PROMOTED, phase="Succeeded", stable="2", champion="2", analysis=["a: Successful"], rollout="promoted")
    assert ok.ok
    no_analysis = result(PROMOTED, phase="Succeeded", stable="2", champion="2", analysis=[], rollout="full")
    assert "not gated by analysis" in no_analysis.problems[0]
    stale_alias = result(PROMOTED, phase="Succeeded", stable="2", champion="1", analysis=["a: Successful"])
    assert any("champion alias is v1" in p for p in stale_alias.problems)


def test_aborted_push_needs_a_failed_analysis_and_the_old_stable() -> None:
    ok = result(ABORTED, phase="Failed", stable="1", champion="1", analysis=["a: Failed"], rollout="aborted")
    assert ok.ok
    became_stable = result(ABORTED, phase="Failed", stable="2", analysis=["a: Failed"], rollout="aborted")
    assert "the faulty version became stable" in became_stable.problems
    not_by_analysis = result(ABORTED, phase="Failed", stable="1", analysis=[], rollout="aborted")
    assert any("did not come from analysis" in p for p in not_by_analysis.problems)


def test_workflow_phase_must_match() -> None:
    r = result(FULL, phase="Failed", stable="2", champion="2", rollout="full")
    assert r.problems == ["workflow ended Failed, expected Succeeded: boom"]
