"""`sluice secret set` takes the value from stdin or a file (not argv), and `sluice token rotate` replaces the token."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sluicegate.cli import app


@pytest.fixture
def home(sluice_home: Path) -> Path:
    sluice_home.mkdir()
    return sluice_home


def _secrets(home: Path) -> dict:
    return json.loads((home / "secrets.json").read_text())


def test_secret_value_from_stdin_never_in_argv(home: Path) -> None:
    result = CliRunner().invoke(app, ["secret", "set", "slack", "token"], input="xoxb-from-stdin\n")
    assert result.exit_code == 0, result.output
    assert _secrets(home)["slack"]["token"] == "xoxb-from-stdin"
    assert stat.S_IMODE((home / "secrets.json").stat().st_mode) == 0o600


def test_secret_value_from_a_file(home: Path, tmp_path: Path) -> None:
    value = tmp_path / "value.txt"
    value.write_text("s3cr3t\n")
    result = CliRunner().invoke(app, ["secret", "set", "mlflow", "password", "--from-file", str(value)])
    assert result.exit_code == 0, result.output
    assert _secrets(home)["mlflow"]["password"] == "s3cr3t"
    both = CliRunner().invoke(app, ["secret", "set", "a", "b", "v", "--from-file", str(value)])
    assert both.exit_code != 0 and "not both" in str(both.exception)


def test_token_rotate_writes_a_new_private_token(home: Path) -> None:
    (home / "token").write_text("old-token\n")
    result = CliRunner().invoke(app, ["token", "rotate"])
    assert result.exit_code == 0, result.output
    new = (home / "token").read_text().strip()
    assert new and new != "old-token" and len(new) >= 32
    assert stat.S_IMODE((home / "token").stat().st_mode) == 0o600
