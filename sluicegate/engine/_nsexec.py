"""Run one command inside a running step, as `kubectl exec` (and the kubelet's exec probes) run one in a container.

Run by `_stepexec` as a script (`python -I _nsexec.py <pid> <cwd> <command>...`, standard library only) with the
step's environment. `<pid>` is the step's first process (a sandboxed step's init, PID 1 of its pod). Where that
process lives in other namespaces than this one, this process joins them: its mount namespace (the step's
private `/tmp`, volumes and root), its PID namespace (the command sees the step's processes), its root folder;
then it takes the step's user and group (a step that stays root keeps no capability, as in `_sandbox`), sets
`no_new_privs`, goes to `<cwd>` and runs the command there. Exits with the command's exit code (126 when it
could not be entered, 127 when the command does not exist).
"""

from __future__ import annotations

import ctypes
import os
import sys

_CLONE_NEWNS = 0x00020000
_CLONE_NEWPID = 0x20000000
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAPBSET_DROP = 24
_libc = ctypes.CDLL(None, use_errno=True)


def _same(a: str, b: str) -> bool:
    try:
        return os.readlink(a) == os.readlink(b)
    except OSError:
        return True


def _join(pid: int, kind: str, flag: int) -> None:
    if _same(f"/proc/self/ns/{kind}", f"/proc/{pid}/ns/{kind}"):
        return
    fd = os.open(f"/proc/{pid}/ns/{kind}", os.O_RDONLY)
    try:
        if _libc.setns(fd, flag) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"joining the step's {kind} namespace: {os.strerror(code)}")
    finally:
        os.close(fd)


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)


def _become(status: dict[str, str]) -> None:
    """Take the step's user and group; a root step without capabilities gets none either."""
    uid, gid = int(status["Uid"].split()[0]), int(status["Gid"].split()[0])
    if os.getuid() == 0 and uid != 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    elif os.getuid() == 0 and int(status.get("CapEff", "0").strip(), 16) == 0:
        for cap in range(64):
            if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                break
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)
        data = (ctypes.c_uint32 * 6)()
        capset = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine, -1)
        if capset < 0 or _libc.syscall(capset, header, data) != 0:
            raise OSError(ctypes.get_errno(), "dropping capabilities as the step has none")
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def main(args: list[str]) -> int:
    """Enter the step `args[0]`, go to `args[1]`, run `args[2:]`; the command's exit code."""
    pid, cwd, command = int(args[0]), args[1], args[2:]
    try:
        status = _status(pid)
        root = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY)
        other_root = os.fstat(root)[1:3] != os.stat("/")[1:3]
        _join(pid, "mnt", _CLONE_NEWNS)
        _join(pid, "pid", _CLONE_NEWPID)
        if other_root:
            os.fchdir(root)
            os.chroot(".")
        os.close(root)
    except OSError as e:
        os.write(2, f"cannot enter step process {pid}: {e}\n".encode())
        return 126
    child = os.fork()  # a new PID namespace applies to children only
    if child == 0:
        try:
            _become(status)
            os.chdir(cwd)
            os.execvpe(command[0], command, dict(os.environ))
        except FileNotFoundError as e:
            os.write(2, f"{e}\n".encode())
            os._exit(127)
        except OSError as e:
            os.write(2, f"{e}\n".encode())
            os._exit(126)
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) & 0xFF


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
