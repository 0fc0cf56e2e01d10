"""A step's termination message: the file a container writes its last words to, and the node message made of it.

Called by `_launchrequest` and `_outcome`.
Kubernetes gives every container a writable file at `terminationMessagePath` (default
`/dev/termination-log`) and copies what the container wrote there, at most its last 4096 bytes, into the
container's `state.terminated.message`; with `terminationMessagePolicy: FallbackToLogsOnError` a container
that failed without writing it gets the tail of its log instead (at most 80 lines and 2048 bytes). Argo
makes a failed pod's node message of it: `main: Error (exit code 2): <message>`.

A step here has no `/dev` of its own to put the file in, so the file is `/tmp/.argo/termination-log` of the
step (per container of a containerSet) and the path the template names is rewritten to it where the
step's command, args, script and env mention it, as `_podfs.PathMapper` does for declared paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = ["DEFAULT_PATH", "TerminationLog", "failed_message"]

#: Kubernetes' default `terminationMessagePath`.
DEFAULT_PATH = "/dev/termination-log"
_MAX_FILE_BYTES = 4096  # kubelet: MaxContainerTerminationMessageLength
_MAX_LOG_BYTES = 2048  # kubelet: MaxContainerTerminationMessageLogLength
_MAX_LOG_LINES = 80  # kubelet: MaxContainerTerminationMessageLogLines


class _Paths(Protocol):
    def container(self, path: str) -> str: ...


def _tail_bytes(data: bytes, limit: int) -> str:
    return data[-limit:].decode(errors="replace")


def failed_message(container: str, code: int, message: str) -> str:
    """A failed container's node message as Argo writes it: `<container>: Error (exit code N)[: <message>]`."""
    head = f"{container}: Error (exit code {code})"
    return f"{head}: {message}" if message else head


@dataclass(frozen=True)
class TerminationLog:
    """Where one container of a step writes its termination message, and how it is read back.

    Args:
        path: the container's `terminationMessagePath` as the template names it.
        host: the file on this machine.
        inside: the file as the step's process sees it.
        policy: `File` or `FallbackToLogsOnError`.
        container: the container's name (`main`, or one of a containerSet's).
    """

    path: str
    host: Path
    inside: str
    policy: str
    container: str = "main"

    @classmethod
    def of(cls, spec: dict[str, Any], tmp: Path, paths: _Paths, container: str = "main") -> TerminationLog:
        """The termination log of a container spec whose step's `/tmp` is the folder `tmp` on this machine."""
        path = str(spec.get("terminationMessagePath") or DEFAULT_PATH)
        policy = str(spec.get("terminationMessagePolicy") or "File")
        if path.startswith("/tmp/"):  # the step's own /tmp is there already: nothing to rewrite
            host = tmp / path[len("/tmp/") :]
            return cls(path, host, path, policy, container)
        host = tmp / ".argo" / ("termination-log" if container == "main" else f"termination-log-{container}")
        return cls(path, host, paths.container(str(host)), policy, container)

    def create(self) -> None:
        """An empty file the step may write, as the kubelet creates one before the container starts."""
        self.host.parent.mkdir(parents=True, exist_ok=True)
        self.host.write_bytes(b"")

    def rewrite(self, text: str) -> str:
        """`text` with the template's path replaced by the one the step writes to."""
        if self.path == self.inside:
            return text
        return re.sub(r"(?<![\w./-])" + re.escape(self.path) + r"(?![\w./-])", self.inside, text)

    def read(self, failed: bool, log: Path) -> str:
        """The container's `state.terminated.message`: its file, else (policy, failed) the tail of its log."""
        try:
            data = self.host.read_bytes()
        except OSError:
            data = b""
        if data:
            return _tail_bytes(data, _MAX_FILE_BYTES).rstrip()
        if not (failed and self.policy == "FallbackToLogsOnError"):
            return ""
        try:  # the last 80 lines, of which the last 2048 bytes: both are in the file's last 2048 bytes
            with log.open("rb") as f:
                f.seek(max(0, log.stat().st_size - _MAX_LOG_BYTES))
                tail = f.read(_MAX_LOG_BYTES)
        except OSError:
            return ""
        return b"".join(tail.splitlines(keepends=True)[-_MAX_LOG_LINES:]).decode(errors="replace").rstrip()
