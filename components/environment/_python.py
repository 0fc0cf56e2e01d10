"""Finding a Python interpreter of the version a model project asks for, without downloading one.

Called by `components.environment._build`. Looks for `pythonX.Y` on PATH (every PATH entry, so a
version-manager shim that cannot run the version is skipped), runs each candidate to read its version,
and prefers an exact match of a full `X.Y.Z` request, then the same `X.Y`. No match: the stack's Python
(the interpreter this environment was made from), with a warning, or an error when asked to be strict.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from components._common import UserError

__all__ = ["Interpreter", "find_python", "stack_python"]

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Interpreter:
    """A Python to build an environment from; `warning` says why it is not the version asked for."""

    path: str
    version: str
    warning: str = ""


def _version_of(path: str) -> str | None:
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def stack_python() -> Interpreter:
    """The base interpreter of the running Python (not its virtual environment)."""
    base = getattr(sys, "_base_executable", "") or sys.executable
    return Interpreter(base, ".".join(str(n) for n in sys.version_info[:3]))


def _candidates(major: str, minor: str) -> list[str]:
    found: list[str] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        for name in (f"python{major}.{minor}", f"python{major}"):
            path = Path(folder) / name
            if path.is_file() and os.access(path, os.X_OK) and str(path) not in found:
                found.append(str(path))
    return found


def find_python(asked: str, *, strict: bool, where: str) -> Interpreter:
    """The interpreter for the version `asked` (empty: the stack's).

    Args:
        asked: `X.Y` or `X.Y.Z` from the project's environment file; empty means any.
        strict: raise instead of falling back to the stack's Python.
        where: the file and key the version came from, for messages.

    Raises:
        UserError: `asked` is not a version, or (strict) no interpreter of that version exists here.
    """
    stack = stack_python()
    if not asked:
        return stack
    match = _VERSION.match(asked)
    if match is None:
        raise UserError(f"{where}: python {asked!r} is not a version", fix="write it as 3.11 or 3.11.9")
    major, minor, patch = match.groups()
    same_minor: Interpreter | None = None
    for path in [stack.path, *_candidates(major, minor)]:
        version = stack.version if path == stack.path else _version_of(path)
        if version is None or version.split(".")[:2] != [major, minor]:
            continue
        if patch is None or version == f"{major}.{minor}.{patch}":
            return Interpreter(path, version)
        same_minor = same_minor or Interpreter(path, version, f"Python {asked} asked in {where}; using {version}")
    if same_minor is not None and not strict:
        return same_minor
    if strict:
        raise UserError(
            f"{where}: Python {asked} is not installed on this stack",
            fix="install it, ask for an installed version, or set environment.strict_python: false in sluicegate.yaml",
        )
    return Interpreter(
        stack.path, stack.version, f"Python {asked} asked in {where} is not installed; using {stack.version}"
    )
