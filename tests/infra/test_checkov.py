"""checkov on infra/terraform and on the rendered manifests: no failed checks, inline skips carry reasons.

checkov lives in its own venv (`.venv-checkov`, made by `make checkov-install`, which `make test` runs
first) because its pins conflict with the project's. Our own checks (.checkov/checks) look into the pods
of custom resources (WorkflowTemplates, Rollouts, Sensors, EventSources), which checkov's checks skip.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"

# Findings we accept, with the reason next to each. None today: a new finding fails this test; fix the
# definition or skip it inline (a `checkov.io/skipN` annotation or `#checkov:skip=`) with a reason.
KNOWN: set[tuple[str, str]] = set()  # (check id, resource)


def _checkov(framework: list[str], directory: str) -> list[dict]:
    if not CHECKOV.exists():
        pytest.fail("checkov is not installed: run `make checkov-install` (creates .venv-checkov)")
    cmd = [str(CHECKOV), "--config-file", ".checkov.yaml", "--framework", *framework, "-d", directory, "-o", "json"]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def _failures(reports: list[dict]) -> set[tuple[str, str]]:
    for report in reports:
        assert report["summary"]["parsing_errors"] == 0, report["check_type"]
    return {(c["check_id"], c["resource"]) for r in reports for c in r["results"]["failed_checks"]}


def test_checkov_terraform_has_no_failed_checks():
    reports = _checkov(["terraform"], "infra/terraform")
    assert reports[0]["summary"]["passed"] > 100
    assert _failures(reports) == set()


def test_checkov_manifests_has_no_new_failed_checks():
    reports = _checkov(["kubernetes", "argo_workflows"], "manifests")
    assert {r["check_type"] for r in reports} == {"kubernetes", "argo_workflows"}
    failures = _failures(reports)
    new = failures - KNOWN
    assert new == set(), "new checkov findings in manifests/: fix the definition or skip inline with a reason"


def test_checkov_dockerfiles_and_github_actions_have_no_failed_checks():
    assert _failures(_checkov(["dockerfile"], "docker")) == set()
    assert _failures(_checkov(["github_actions"], ".github")) == set()


def test_inline_checkov_skips_give_a_reason():
    skips = []
    files = [*(REPO / "infra" / "terraform").rglob("*.tf"), *(REPO / "docker").glob("*.Dockerfile")]
    for tf in sorted(files):
        skips += re.findall(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?", tf.read_text())
    assert skips
    for check, reason in skips:
        assert reason and len(reason.strip()) > 20, f"checkov skip {check} has no real reason"


def test_own_checks_flag_a_root_rollout(tmp_path):
    (tmp_path / "rollout.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: m, namespace: sluicegate}\n"
        "spec:\n  selector: {matchLabels: {app: m}}\n  template:\n    metadata: {labels: {app: m}}\n"
        "    spec:\n      containers:\n      - name: serve\n        image: x:1\n"
        "        env: [{name: API_TOKEN, value: hunter2}]\n"
    )
    reports = _checkov(["kubernetes"], str(tmp_path))
    found = {check for check, resource in _failures(reports) if resource == "Rollout.sluicegate.m"}
    assert {"CKV_SLUICE_1", "CKV_SLUICE_2", "CKV_SLUICE_3", "CKV_SLUICE_4"} <= found
