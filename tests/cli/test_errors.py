import subprocess
import sys


def test_cli_has_help_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "sluicegate", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "sluice" in out.stdout


def test_sluice_error_is_one_line_and_nonzero(monkeypatch, capsys) -> None:
    from sluicegate.cli import main
    from sluicegate.config import load_endpoints

    monkeypatch.setenv("SLUICE_HOME", "/nonexistent-home-for-test")
    try:
        load_endpoints()
    except Exception as e:  # the same error main() prints
        assert "sluice up --detach" in str(e)
    assert callable(main)
