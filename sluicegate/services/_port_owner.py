"""Which processes listen on a local TCP port (Linux `/proc`), so a start can tell its own server answered.

Two starters can draw the same free port; the one that binds second fails, but a health check may
already have been answered by the first. `wait_http` (in `_process`) asks `listening_pids` who owns the port.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["listening_pids"]

_LISTEN = "0A"
_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in _TABLES:
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def listening_pids(port: int) -> set[int] | None:
    """The pids holding a listening socket on `port`; None where this cannot be read (no `/proc`)."""
    if not Path("/proc/net/tcp").exists():
        return None
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    pids: set[int] = set()
    if not wanted:
        return pids
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fds = os.scandir(f"/proc/{entry.name}/fd")
            with fds:
                if any(os.readlink(fd.path) in wanted for fd in fds):
                    pids.add(int(entry.name))
        except OSError:  # the process ended, or its fds are not ours to read
            continue
    return pids
