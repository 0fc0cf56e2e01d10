"""A step's pod: its own root file system, /proc and /dev, no view of the stack, an unprivileged user.

Loaded by `_zygote` (by file path, so it uses the standard library only) in the forked child of a step whose
request carries a `sandbox` plan, and probed once by `_executor` through `probe()`. `enter(plan)`, called
as root in the host's namespaces:
- unshares the mount and PID namespaces and makes every mount private;
- mounts an overlay at `<root>/merged`: lower layer the host's `/`, upper layer `<root>/upper`; the step may
  write anywhere, those writes land in `upper` (the executor reads declared outputs there and deletes the
  folder with the step) and never reach the host;
- hides SLUICE_HOME under an empty read-only tmpfs, re-exposing read-only only what steps need (`expose`:
  the project Python environments);
- mounts the step's private /tmp, its volumes where the template says, a minimal /dev, /sys read-only, and
  folders the interpreter needs that live on another file system;
- forks. The parent (the step's shim, `_shim`) stays outside the new root; the step, PID 1 of its own PID
  namespace, mounts a fresh /proc (it sees only its own processes), pivots into the new root, detaches the
  host's, and drops to `uid`/`gid` with no capabilities and `no_new_privs`.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from typing import Any

__all__ = ["enter", "probe"]

_CLONE_NEWNS = 0x00020000
_CLONE_NEWPID = 0x20000000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 1 << 14
_MS_PRIVATE = 1 << 18
_MNT_DETACH = 2
_PR_SET_NO_NEW_PRIVS = 38
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 217}.get(platform.machine(), -1)
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")

_libc = ctypes.CDLL(None, use_errno=True)


def _fail(what: str) -> OSError:
    errno = ctypes.get_errno()
    return OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(src: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    ok = _libc.mount(src.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                     data.encode() if data else None)  # fmt: skip
    if ok != 0:
        raise _fail(f"mount {fstype or 'bind'} {src} at {target}")


def _bind(src: str, target: str, readonly: bool = False, recursive: bool = False) -> None:
    _mount(src, target, None, _MS_BIND | (_MS_REC if recursive else 0))
    if readonly:
        _mount("none", target, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


def _target(merged: str, path: str, is_dir: bool = True) -> str:
    target = merged + path
    if is_dir:
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "a"):
            pass
    return target


def _overlay_option(path: str) -> str:
    if any(c in path for c in ",:\\"):
        raise OSError(f"the sandbox cannot use a folder whose path contains ',', ':' or '\\': {path}")
    return path


def _traversable(upper: str, paths: list[str]) -> None:
    """Let the step's user reach `paths` (the interpreter may live in root's 0700 home).

    In the upper layer, each closed ancestor gets a copy with the search bit for others (search only: its
    listing stays closed).
    """
    done: set[str] = set()
    for path in paths:
        parts = [p for p in path.split("/") if p]
        for depth in range(1, len(parts) + 1):
            folder = "/" + "/".join(parts[:depth])
            if folder in done:
                continue
            done.add(folder)
            try:
                st = os.stat(folder)
            except OSError:
                break
            if st.st_mode & 0o001:
                continue
            copy = upper + folder
            os.makedirs(copy, exist_ok=True)
            os.chmod(copy, (st.st_mode & 0o7777) | 0o001)
            os.chown(copy, st.st_uid, st.st_gid)


def _mount_root(plan: dict[str, Any], kept_under_tmp: list[str]) -> str:
    root = str(plan["root"])
    merged = root + "/merged"
    upper, work = _overlay_option(root + "/upper"), _overlay_option(root + "/work")
    _traversable(upper, [*(plan.get("keep") or []), plan["home"], *(plan.get("expose") or [])])
    _mount("overlay", merged, "overlay", 0, f"lowerdir=/,upperdir={upper},workdir={work}")
    home = _target(merged, plan["home"])
    _mount("tmpfs", home, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64k,mode=755")
    for path in plan.get("expose") or []:
        if os.path.isdir(path):
            _bind(path, _target(merged, path), readonly=True)
    _mount("none", home, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    tmp = plan["tmp"]
    for keep in kept_under_tmp:  # the interpreter and the project, when they live under /tmp themselves
        dest = tmp + keep[len("/tmp") :]
        os.makedirs(dest, exist_ok=True)
        _bind(keep, dest, readonly=True)
    _bind(tmp, merged + "/tmp", recursive=True)
    root_dev = os.stat("/").st_dev
    for path in plan.get("keep") or []:  # on another file system: not in the overlay's lower layer
        if os.path.isdir(path) and not path.startswith("/tmp/") and os.stat(path).st_dev != root_dev:
            _bind(path, _target(merged, path), readonly=True, recursive=True)
    for src, dest in plan.get("binds") or []:
        _bind(src, _target(merged, dest, os.path.isdir(src)))
    dev = _target(merged, "/dev")
    _mount("tmpfs", dev, "tmpfs", _MS_NOSUID | _MS_NOEXEC, "size=64k,mode=755")
    for name in _DEVICES:
        if os.path.exists("/dev/" + name):
            _bind("/dev/" + name, _target(merged, "/dev/" + name, is_dir=False))
    _mount("tmpfs", _target(merged, "/dev/shm"), "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777")
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                       ("stderr", "/proc/self/fd/2")):  # fmt: skip
        os.symlink(link, dev + "/" + name)
    if os.path.isdir("/sys"):
        _bind("/sys", _target(merged, "/sys"), readonly=True, recursive=True)
    return merged


def _become_pod(merged: str, uid: int, gid: int) -> None:
    _mount("proc", _target(merged, "/proc"), "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    os.chdir(merged)
    if _libc.syscall(_SYS_PIVOT_ROOT, b".", b".") != 0:
        raise _fail("pivot_root into the step's root")
    if _libc.umount2(b".", _MNT_DETACH) != 0:
        raise _fail("detaching the host's root")
    os.chdir("/")
    if os.getuid() == 0 and uid != 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def enter(plan: dict[str, Any], kept_under_tmp: list[str]) -> int:
    """Fork into a new pod: returns the step's pid in this process, 0 in the step (which is then inside it).

    This process stays outside the new root (it may wait for the step and read its output), but it shares
    the new mount namespace: after the step pivots, only file descriptors opened before reach the host.
    """
    if _libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID) != 0:
        raise _fail("unshare of the mount and PID namespaces")
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
    merged = _mount_root(plan, kept_under_tmp)
    pid = os.fork()
    if pid != 0:
        return pid
    try:
        _become_pod(merged, int(plan.get("uid", 65534)), int(plan.get("gid", 65534)))
    except BaseException as e:
        os.write(2, f"failed to start step: cannot enter its sandbox: {e}\n".encode())
        os._exit(126)
    return 0


def probe(scratch: str) -> str:
    """'' when sandboxes work here, else why not (run once, in a throw-away child, on folders in `scratch`)."""
    for sub in ("upper", "work", "merged", "tmp", "home"):
        os.makedirs(os.path.join(scratch, sub), exist_ok=True)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        message = b""
        try:
            if _SYS_PIVOT_ROOT < 0:
                raise OSError(f"pivot_root is not known on {platform.machine()}")
            plan = {"root": scratch, "tmp": scratch + "/tmp", "home": scratch + "/home", "keep": [sys.prefix]}
            step = enter(plan, [])
            if step == 0:
                os._exit(0)
            code = os.waitstatus_to_exitcode(os.waitpid(step, 0)[1])
            if code != 0:
                message = f"a process in a new sandbox exited with {code}".encode()
        except BaseException as e:
            message = str(e).encode() or type(e).__name__.encode()
        os.write(w, message)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        reason = f.read().decode(errors="replace")
    os.waitpid(pid, 0)
    return reason
