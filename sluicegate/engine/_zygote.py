"""The step launcher: a warm, single-threaded Python process that forks once per step.

Why: a cold interpreter costs 20-40 ms before a Python step does anything; forking a process that already
runs Python costs about 1 ms. The controller (`_executor`) starts one zygote and sends it JSON requests over a
socket; the zygote forks a child per request, the step's shim (`_shim`), which starts the step in its
sandbox (`_sandbox`: own root file system, PID namespace, unprivileged user) when the request carries one,
else in a new mount namespace with the step's private folder bind-mounted over `/tmp`, keeps its output
and records its exit code. The zygote reports `started` (the shim's pid, which is the step's process group)
and `exited` (exit code, 128+signal when killed) for each request. It exits when the controller's socket
closes, leaving running steps to the next controller (which adopts them).

Run as `python .../_zygote.py FD [warm modules...]` by `_launcher.Launcher` (as a script, so starting it does
not import the engine package).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import selectors
import signal
import socket
import sys
from typing import Any

__all__ = ["main", "private_tmp_supported", "sandbox_problem"]

_CLONE_NEWNS = 0x00020000
_MS_REC = 1 << 14
_MS_PRIVATE = 1 << 18
_MS_BIND = 4096


def _load_sibling(name: str) -> Any:
    """A sibling module loaded by file path: the zygote runs as a script and must not import the engine."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"_sluice{name}", os.path.join(os.path.dirname(__file__), f"{name}.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_sandbox = _load_sibling("_sandbox")
_shim = _load_sibling("_shim")


def sandbox_problem(scratch: Any) -> str:
    """'' when steps can be sandboxed on this machine, else the reason (probed in a throw-away child)."""
    import shutil

    try:
        os.makedirs(scratch, exist_ok=True)
        return str(_sandbox.probe(str(scratch)))
    except OSError as e:
        return str(e)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _enter_private_tmp(folder: str, binds: list[list[str]]) -> None:
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS) failed")
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "making / private failed")
    for src, dest in binds:  # volumes first, inside the folder that becomes /tmp
        if libc.mount(src.encode(), dest.encode(), None, _MS_BIND, None) != 0:
            raise OSError(ctypes.get_errno(), f"bind-mounting volume {src} at {dest} failed")
    for keep in _kept_under_tmp():  # the interpreter and the project, when they live under /tmp themselves
        dest = folder + keep[len("/tmp") :]
        os.makedirs(dest, exist_ok=True)
        if libc.mount(keep.encode(), dest.encode(), None, _MS_BIND, None) != 0:
            raise OSError(ctypes.get_errno(), f"bind-mounting {keep} into the private /tmp failed")
    if libc.mount(folder.encode(), b"/tmp", None, _MS_BIND | _MS_REC, None) != 0:
        raise OSError(ctypes.get_errno(), f"bind-mounting {folder} over /tmp failed")


def _kept_under_tmp() -> list[str]:
    """Folders under /tmp a step still needs behind its private /tmp: the Python environment, the project.

    A checkout or virtualenv under /tmp (CI machines often clone there) would otherwise vanish inside the
    step, and `python -m components.train` would not find its code.
    """
    under = [p for p in _interpreter_paths() if p.startswith("/tmp/")]
    kept: list[str] = []
    for path in under:  # parents first: a folder inside one already kept comes with it
        if not any(path == k or path.startswith(k + "/") for k in kept):
            kept.append(path)
    return kept


def _interpreter_paths() -> list[str]:
    """The folders a step's Python needs: the environment, the project, `sys.path` (sorted, existing)."""
    project = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    candidates = {os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix, project, *sys.path) if p}
    return sorted(p for p in candidates if os.path.isdir(p))


@functools.lru_cache(maxsize=1)
def _sandbox_keep() -> list[str]:
    """What a sandboxed step's programs need from outside the host's system folders (shown read-only).

    The interpreter (its environment and its base installation), the project, and the folders on PATH (a
    version manager's `shims` folder comes with the manager's own folder, which its scripts run from).
    """
    paths = list(_interpreter_paths())
    for base in (sys.base_prefix, sys.base_exec_prefix):
        if base and os.path.isdir(base):
            paths.append(os.path.realpath(base))
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder.startswith("/") and os.path.isdir(folder):
            real = os.path.realpath(folder)
            paths.append(os.path.dirname(real) if os.path.basename(real) == "shims" else real)
    return sorted(set(paths))


def private_tmp_supported() -> bool:
    """Whether this process may create mount namespaces (tested in a throw-away child)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if _libc().unshare(_CLONE_NEWNS) == 0 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _spawn(req: dict[str, Any]) -> int:
    """Fork the step (fork semantics) into its sandbox, or its private /tmp, or as it is."""
    if req.get("sandbox"):
        keep = [*_sandbox_keep(), *(req["sandbox"].get("keep") or [])]
        return int(_sandbox.enter({**req["sandbox"], "keep": keep}, _kept_under_tmp()))
    pid = os.fork()
    if pid == 0 and req.get("tmp"):
        try:
            _enter_private_tmp(req["tmp"], req.get("binds") or [])
        except OSError as e:
            os.write(2, f"failed to start step: {e}\n".encode())
            os._exit(126)
    return pid


class _Zygote:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sel = selectors.DefaultSelector()
        self.buf = b""
        self.children: dict[int, str] = {}  # shim pid -> request id
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        os.set_blocking(self.wake_r, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.sel.register(sock, selectors.EVENT_READ, "ctl")
        self.sel.register(self.wake_r, selectors.EVENT_READ, "wake")

    def send(self, msg: dict[str, Any]) -> None:
        self.sock.sendall(json.dumps(msg).encode() + b"\n")

    def launch(self, req: dict[str, Any]) -> None:
        pid = os.fork()
        if pid == 0:
            for fd in (self.sock.fileno(), self.wake_r, self.wake_w):
                os.close(fd)
            _shim.shim(req, _spawn)
        self.children[pid] = req["id"]
        self.send({"id": req["id"], "event": "started", "pid": pid})

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            request = self.children.pop(pid, None)
            if request is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            self.send({"id": request, "event": "exited", "code": 128 - code if code < 0 else code})

    def serve(self) -> None:
        while True:
            for key, _ in self.sel.select(timeout=1.0):
                if key.data == "ctl":
                    chunk = self.sock.recv(1 << 20)
                    if not chunk:  # the controller went away: its steps run on (the next one adopts them)
                        return
                    self.buf += chunk
                    while b"\n" in self.buf:
                        line, self.buf = self.buf.split(b"\n", 1)
                        self.launch(json.loads(line))
                elif key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_r, 4096)
                    self.reap()
            self.reap()


def main() -> None:
    """Serve launch requests on the socket whose fd is `sys.argv[1]`."""
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # run as a script: do not let engine modules shadow a step's imports
    sock = socket.socket(fileno=int(sys.argv[1]))
    for name in sys.argv[2:]:  # warm imports shared by every forked Python step
        with contextlib.suppress(ImportError):
            __import__(name)
    _sandbox_keep()  # once, before the first fork
    _Zygote(sock).serve()


if __name__ == "__main__":
    main()
