"""The error contract of every component CLI: a user error is ONE line on stderr and exit code 2.

Called by the `__main__` module of each component. Exit codes: 0 done; 1 ran but a gate was missed
(stress-test); 2 user error (bad input, unreachable MLflow, unknown model version); 130 Ctrl-C; 143
SIGTERM. Bugs (anything that is not a `UserError`) keep their traceback: those are for us to fix.

The one line also goes to the step's termination message file, named by `$SLUICE_TERMINATION_LOG` (the
templates set it to the container's `terminationMessagePath`), so Argo's node message ends with it:
`main: Error (exit code 2): <the line>`. `note(text)` puts a warning there when the step succeeds.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from components._common._sigterm import Terminated, install_sigterm_handler

__all__ = ["TERMINATION_LOG_ENV", "OneLineParser", "UserError", "note", "run_cli"]

#: Exit code for a user error (bad input, unreachable service); 1 is reserved for "ran, but a gate failed".
USER_ERROR_EXIT = 2
#: The variable naming the container's termination message file (Kubernetes' `terminationMessagePath`).
TERMINATION_LOG_ENV = "SLUICE_TERMINATION_LOG"


def note(text: str) -> None:
    """Write `text` (one line) as the step's termination message; nothing when the step has no such file.

    Kubernetes keeps at most the last 4096 bytes; the line is cut at 1000 characters to stay readable.
    """
    path = os.environ.get(TERMINATION_LOG_ENV, "")
    if not path:
        return
    line = " ".join(text.split())
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(line[:997] + "..." if len(line) > 1000 else line)
    except OSError:
        pass  # a message that cannot be written never hides the step's own outcome


class UserError(Exception):
    """A mistake the user can fix: bad input, a missing file, an unreachable server.

    Args:
        what: what is wrong, naming the parameter, field or file and the offending value.
        fix: how to fix it (accepted values, the command to run).
    """

    def __init__(self, what: str, fix: str = "") -> None:
        self.what = what
        self.fix = fix
        super().__init__(f"{what}; {fix}" if fix else what)


class OneLineParser(argparse.ArgumentParser):
    """An `ArgumentParser` whose usage errors are one line instead of usage text plus the error."""

    def error(self, message: str) -> NoReturn:
        """Print `prog: error: message; see --help` and exit 2."""
        note(f"{self.prog}: {message}; see `{self.prog} --help`")
        self.exit(USER_ERROR_EXIT, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def run_cli(prog: str, main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> NoReturn:
    """Run `main(argv)` and exit with its code; a `UserError` becomes one line on stderr and exit 2.

    Args:
        prog: the command name shown in error lines (e.g. `components.train`).
        main: the CLI body; returns the exit code.
        argv: arguments (default `sys.argv[1:]`).
    """
    install_sigterm_handler()
    try:
        code = main(argv)
    except Terminated:
        print(f"{prog}: terminated (SIGTERM); its MLflow run, if any, is marked FAILED", file=sys.stderr)
        sys.exit(143)
    except UserError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        note(str(e))
        sys.exit(USER_ERROR_EXIT)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code)
