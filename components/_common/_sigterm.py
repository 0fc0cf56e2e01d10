"""A step's SIGTERM as an exception (`Terminated`), and holding it back while a block must not be cut.

Called by `_cli.run_cli`, which installs the handler for every component CLI, and by `_mlflow.run_started`,
which holds SIGTERM while MLflow creates a run: Argo stops a step with SIGTERM (deadline, `argo stop`, a
deleted workflow), and Python runs the handler in the main thread between any two bytecodes, wherever the
signal arrived. A SIGTERM during a hold is remembered and raised by `release_sigterm`, where the caller
can unwind cleanly.
"""

from __future__ import annotations

import signal
import threading

__all__ = ["Terminated", "hold_sigterm", "install_sigterm_handler", "release_sigterm"]


class Terminated(BaseException):
    """SIGTERM arrived (Argo stops a step this way: deadline, `argo stop`, a deleted workflow).

    Raised in the main thread so the step unwinds like on any failure: MLflow marks its run FAILED and a
    just-registered model version is deleted again. A BaseException, so `except Exception` cannot hide it.
    """


class _Hold:
    held = False
    pending = False


_HOLD = _Hold()


def _on_sigterm(signum: int, frame: object) -> None:
    if _HOLD.held:
        _HOLD.pending = True  # raised by release_sigterm
        return
    raise Terminated()


def install_sigterm_handler() -> None:
    """Make SIGTERM raise `Terminated` in the main thread (deferred during `hold_sigterm`)."""
    signal.signal(signal.SIGTERM, _on_sigterm)


def hold_sigterm() -> bool:
    """Remember a SIGTERM instead of raising it until `release_sigterm`; whether it is held (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return False  # the handler runs in the main thread, which this hold would wrongly delay
    _HOLD.held = True
    return True


def release_sigterm() -> None:
    """End the hold; raise `Terminated` now if a SIGTERM arrived during it."""
    _HOLD.held = False
    if _HOLD.pending:
        _HOLD.pending = False
        raise Terminated()
