"""CI/CD definitions: what runs on pull requests and on main, pinned actions, images that run as non-root."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"


def _load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def _runs(doc: dict) -> str:
    return "\n".join(step.get("run", "") for job in doc["jobs"].values() for step in job["steps"])


def test_pull_requests_run_lint_and_tests():
    doc = _load("pull-request.yml")
    assert "pull_request" in doc["on"]
    assert "make lint" in _runs(doc) and "make test" in _runs(doc)


def test_pull_requests_validate_every_terraform_root():
    job = _load("pull-request.yml")["jobs"]["terraform"]
    roots = {p.relative_to(REPO / "infra" / "terraform").as_posix() for p in (REPO / "infra/terraform/envs").iterdir()}
    assert set(job["strategy"]["matrix"]["root"]) == roots
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    for command in ("terraform fmt -check", "validate", "tflint"):
        assert command in runs


def test_main_verifies_manifests_then_builds_both_images():
    doc = _load("main.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    runs = _runs(doc)
    assert "sluice render --out manifests" in runs and "git diff --exit-code -- manifests/" in runs
    images = doc["jobs"]["images"]
    assert images["needs"] == "verify"
    assert set(images["strategy"]["matrix"]["image"]) == {"components", "model-server"}
    for image in images["strategy"]["matrix"]["image"]:
        assert (REPO / "docker" / f"{image}.Dockerfile").is_file()


def test_every_action_is_pinned_to_a_commit():
    for path in WORKFLOWS.glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), f"{path.name}: {step['uses']}"


def test_workflows_are_read_only_by_default_and_hold_no_secret_values():
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert yaml.safe_load(text)["permissions"] == {"contents": "read"}, path.name
        assert not re.search(r"(password|token|secret)\s*:\s*['\"]?[A-Za-z0-9_\-]{12,}", text, re.IGNORECASE), path.name


def test_images_run_as_a_numeric_non_root_user_from_a_pinned_base():
    for dockerfile in (REPO / "docker").glob("*.Dockerfile"):
        text = dockerfile.read_text()
        user = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
        assert user and user[-1].split(":")[0].isdigit() and user[-1].split(":")[0] != "0", dockerfile.name
        for base in re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE):
            assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", base), f"{dockerfile.name}: base {base} not pinned"
        assert (dockerfile.parent / f"{dockerfile.name}.dockerignore").is_file()
