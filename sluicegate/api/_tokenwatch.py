"""`TokenWatch`: the running stack follows `SLUICE_HOME/token`, so `sluice token rotate` needs no restart.

Started by `ApiServer.start` (the API and the UI are the only holders of the token; both read
`StackContext.token` on every request). A thread looks at the file twice a second; when it changes to a
non-empty token, `ctx.token` becomes it: the old bearer token gets 401 at once, and every UI sign-in cookie
(which carries the old token) is signed out.
"""

from __future__ import annotations

import logging
import os
import threading

from sluicegate.part import StackContext

__all__ = ["TokenWatch"]

log = logging.getLogger(__name__)

#: Seconds between looks at the token file.
INTERVAL = 0.5


class TokenWatch:
    """Reload `ctx.token` from `ctx.settings.token_file` when the file changes.

    Args:
        ctx: the stack context whose token is kept current.
    """

    def __init__(self, ctx: StackContext) -> None:
        self.ctx = ctx
        self.rotations = 0
        self._stop = threading.Event()
        self._seen = self._state()
        self._thread = threading.Thread(target=self._run, name="token-watch", daemon=True)

    def _state(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.ctx.settings.token_file)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def check(self) -> bool:
        """Take a changed token file's token now; True when the token changed."""
        state = self._state()
        if state == self._seen:
            return False
        self._seen = state
        try:
            token = self.ctx.settings.token_file.read_text().strip()
        except OSError:
            return False
        if not token or token == self.ctx.token:
            return False
        self.ctx.token = token
        self.rotations += 1
        log.warning("the API token changed (SLUICE_HOME/token): the old token and UI sign-ins no longer work")
        return True

    def start(self) -> None:
        """Watch in a daemon thread until `stop`."""
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL):
            try:
                self.check()
            except Exception:  # keep watching: a half-written file is read again on the next look
                log.exception("reading the token file failed")

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
