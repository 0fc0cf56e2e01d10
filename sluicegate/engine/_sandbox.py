"""A step's pod: its own root file system, /proc and /dev, no view of the stack, an unprivileged user.

Loaded by `_zygote` (by file path, so it uses the standard library only) in the forked child of a step whose
request carries a `sandbox` plan, and probed once by `_executor` through `probe()`. `enter(plan)`, called
as root in the host's namespaces:
- unshares the mount and PID namespaces and makes every mount private;
- builds the step's root in `<root>/root`, a folder of the step's own (its writes land there and are deleted
  with the step): the host's system folders (`/usr`, `/etc`, `/opt`, `/var`, `/srv` and the `/bin`, `/lib`
  links) bind-mounted read-only as the step's image, nothing else of the host's root. A system folder that
  holds a declared path of the step (`layered`, e.g. a ConfigMap volume at `/etc/app`) is an overlay of the
  host's folder instead, so the path can be created there without touching the host;
- adds read-only what the step's programs need from elsewhere (`keep`: the interpreter, the project, the
  folders on PATH) and what the plan exposes (`expose`: the project environments; `expose_rw`: writable);
- hides SLUICE_HOME under an empty read-only tmpfs where a bind would otherwise show it;
- mounts the step's private /tmp (and a private /var/tmp), its volumes where the template says, a minimal
  /dev, /sys read-only;
- forks. The parent (the step's shim, `_shim`) stays outside the new root; the child, PID 1 of its own PID
  namespace, mounts a fresh /proc (it sees only its own processes), pivots into the new root, detaches the
  host's, and drops to `uid`/`gid` with no capabilities and `no_new_privs` (a step that stays root, the
  environment builder, keeps no capability either);
- forks the step, in a process group of its own, and stays its init, as Argo's emissary is PID 1 of a
  container: the kernel ignores SIGTERM to a namespace's PID 1 that has no handler, so a shell step would
  outlive every stop until SIGKILL; this init forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2
  to the step's group, reaps orphans, and exits with the step's exit code (128+signal when killed).
The containers of one pod (sidecars, a containerSet) share the root folder, each in a mount namespace of its
own.
Bind mounts cost nothing on every file lookup, where an overlay of the whole root made a step's imports and
`stat` calls about twice as slow.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import platform
import signal
import stat
import sys
from typing import Any, NoReturn

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
_PR_CAPBSET_DROP = 24
_CAP_VERSION_3 = 0x20080522
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(platform.machine(), -1)
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 217}.get(platform.machine(), -1)
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)

_libc = ctypes.CDLL(None, use_errno=True)


def _fail(what: str) -> OSError:
    code = ctypes.get_errno()
    return OSError(code, f"{what}: {os.strerror(code)}")


def _mount(src: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    ok = _libc.mount(src.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                     data.encode() if data else None)  # fmt: skip
    if ok != 0:
        raise _fail(f"mount {fstype or 'bind'} {src} at {target}")


def _bind(src: str, target: str, readonly: bool = False, recursive: bool = False) -> None:
    _mount(src, target, None, _MS_BIND | (_MS_REC if recursive else 0))
    if readonly:
        _mount("none", target, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


def _target(root: str, path: str, is_dir: bool = True) -> str:
    target = root + path
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


#: Top-level folders of the host that are a step's image (read-only); the rest of `/` is not shown.
SYSTEM = ("bin", "etc", "lib", "lib32", "lib64", "libx32", "opt", "sbin", "srv", "usr", "var")


def _under(path: str, folders: list[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _image(root: str, fs: str, layered: list[str]) -> list[str]:
    """Bind the host's system folders into `root` (overlays for `layered` ones); the folders now visible."""
    shown: list[str] = []
    for name in SYSTEM:
        host = "/" + name
        if os.path.islink(host):
            with contextlib.suppress(FileExistsError):  # the containers of one pod share its root
                os.symlink(os.readlink(host), root + host)
            continue
        if not os.path.isdir(host):
            continue
        target = _target(root, host)
        if host in layered:
            upper, work = _overlay_option(f"{fs}/upper{host}"), _overlay_option(f"{fs}/work{host}")
            os.makedirs(upper, exist_ok=True)
            os.makedirs(work, exist_ok=True)
            _mount("overlay", target, "overlay", 0, f"lowerdir={_overlay_option(host)},upperdir={upper},workdir={work}")
        else:
            _bind(host, target, readonly=True, recursive=True)
        shown.append(host)
    return shown


def _devices(root: str) -> None:
    dev = _target(root, "/dev")
    _mount("tmpfs", dev, "tmpfs", _MS_NOSUID | _MS_NOEXEC, "size=64k,mode=755")
    for name in _DEVICES:  # device nodes, not bind mounts: fewer mounts to make and tear down per step
        with contextlib.suppress(OSError):
            st = os.stat("/dev/" + name)
            if stat.S_ISCHR(st.st_mode):
                os.mknod(dev + "/" + name, stat.S_IFCHR | (st.st_mode & 0o777), st.st_rdev)
                os.chmod(dev + "/" + name, st.st_mode & 0o777)
    _mount("tmpfs", _target(root, "/dev/shm"), "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777")
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                       ("stderr", "/proc/self/fd/2")):  # fmt: skip
        os.symlink(link, dev + "/" + name)


def _mount_root(plan: dict[str, Any], kept_under_tmp: list[str]) -> str:
    fs = str(plan["root"])
    root = fs + "/root"
    home = str(plan["home"])
    _bind(root, root)  # a mount of its own: pivot_root moves into a mount point
    shown = _image(root, fs, list(plan.get("layered") or []))
    tmp = plan["tmp"]
    for keep in kept_under_tmp:  # the interpreter and the project, when they live under /tmp themselves
        dest = tmp + keep[len("/tmp") :]
        os.makedirs(dest, exist_ok=True)
        _bind(keep, dest, readonly=True)
    _bind(tmp, _target(root, "/tmp"), recursive=True)
    if plan.get("var_tmp") and os.path.isdir(root + "/var/tmp"):
        _bind(plan["var_tmp"], root + "/var/tmp")
    shown.append("/tmp")
    for path in sorted(set(plan.get("keep") or [])):  # parents first: a folder inside one shown comes with it
        if os.path.isdir(path) and not _under(path, shown):
            _bind(path, _target(root, path), readonly=True, recursive=True)
            shown.append(path)
    hidden = os.path.isdir(root + home)
    if hidden:  # a shown folder holds SLUICE_HOME: an empty folder stands in for it
        _mount("tmpfs", root + home, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64k,mode=755")
    exposed = [(p, True) for p in plan.get("expose") or []] + [(p, False) for p in plan.get("expose_rw") or []]
    for path, readonly in exposed:
        if os.path.isdir(path):
            _bind(path, _target(root, path), readonly=readonly)
    if hidden:
        _mount("none", root + home, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    for src, dest in plan.get("binds") or []:
        _bind(src, _target(root, dest, os.path.isdir(src)))
    _devices(root)
    os.makedirs(root + "/run", exist_ok=True)
    if os.path.isdir("/sys"):
        _bind("/sys", _target(root, "/sys"), readonly=True)
    return root


def _become_pod(root: str, uid: int, gid: int) -> None:
    _mount("proc", _target(root, "/proc"), "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    os.chdir(root)
    if _libc.syscall(_SYS_PIVOT_ROOT, b".", b".") != 0:
        raise _fail("pivot_root into the step's root")
    if _libc.umount2(b".", _MNT_DETACH) != 0:
        raise _fail("detaching the host's root")
    os.chdir("/")
    if os.getuid() == 0 and uid != 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    elif os.getuid() == 0:
        _drop_capabilities()
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _drop_capabilities() -> None:
    """A step that stays root keeps none of root's powers, now or after an exec (empty bounding set)."""
    for cap in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break  # past the last capability this kernel knows
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: twice 32 bits, all empty
    if _SYS_CAPSET < 0 or _libc.syscall(_SYS_CAPSET, header, data) != 0:
        raise _fail("dropping the step's capabilities")


def enter(plan: dict[str, Any], kept_under_tmp: list[str]) -> int:
    """Fork into a new pod: returns the step's pid in this process, 0 in the step (which is then inside it).

    This process stays outside the new root (it may wait for the step and read its output), but it shares
    the new mount namespace: after the step pivots, only file descriptors opened before reach the host.
    """
    if _libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID) != 0:
        raise _fail("unshare of the mount and PID namespaces")
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
    root = _mount_root(plan, kept_under_tmp)
    pid = os.fork()
    if pid != 0:
        return pid
    try:
        _become_pod(root, int(plan.get("uid", 65534)), int(plan.get("gid", 65534)))
    except BaseException as e:
        os.write(2, f"failed to start step: cannot enter its sandbox: {e}\n".encode())
        os._exit(126)
    return _init()


def _init() -> int:
    """In PID 1 of the pod: fork the step (0 is returned in it) and be its init until it ends."""
    step: list[int] = []
    pending: list[int] = []

    def forward(sig: int, _frame: object) -> None:
        if not step:  # between the fork and knowing the step's pid: sent right after
            pending.append(sig)
            return
        try:
            os.killpg(step[0], sig)
        except ProcessLookupError:  # not in its own group yet
            with contextlib.suppress(ProcessLookupError):
                os.kill(step[0], sig)

    for sig in _FORWARDED:  # before the fork: a stop that comes at once is not lost
        signal.signal(sig, forward)
    pid = os.fork()
    if pid == 0:
        for sig in _FORWARDED:
            signal.signal(sig, signal.SIG_DFL)
        os.setpgid(0, 0)
        return 0
    with contextlib.suppress(OSError):  # the step may have done it or exec'd already
        os.setpgid(pid, pid)
    step.append(pid)
    for caught in pending:
        forward(caught, None)
    _reap(pid)


def _reap(step: int) -> NoReturn:
    """Wait for the step (and orphans, reparented here); exit with the step's code."""
    code = 1
    try:
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            if pid == step:
                exit_code = os.waitstatus_to_exitcode(status)
                code = 128 - exit_code if exit_code < 0 else exit_code
                break
    finally:
        os._exit(code & 0xFF)


def probe(scratch: str) -> str:
    """'' when sandboxes work here, else why not (run once, in a throw-away child, on folders in `scratch`)."""
    for sub in ("root", "upper", "work", "tmp", "home"):
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
