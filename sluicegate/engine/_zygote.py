"""The step launcher: a warm, single-threaded Python process that forks once per step.

Why: a cold interpreter costs 20-40 ms before a Python step does anything; forking a process that already
runs Python costs about 1 ms. The controller (`_executor`) starts one zygote and sends it JSON requests over a
socket; the zygote forks a child per request, and the child
- starts its own session (so the step is one process group the controller can kill),
- enters its sandbox (`_sandbox`: own root file system, PID namespace, unprivileged user) when the request
  carries one, else a new mount namespace with the step's private folder bind-mounted over `/tmp`,
- sends stdout through the zygote (which tees it into the step log and a stdout file for `outputs.result`)
  and stderr straight into the step log,
- then either `exec`s the command (shell images) or runs Python code in-process (`python -c/-m/script`).
The zygote reports `started` (pid) and `exited` (exit code, 128+signal when killed) for each request.
It exits, killing its children, when the controller's socket closes.

Run as `python .../_zygote.py FD [warm modules...]` by `_executor.Executor` (as a script, so starting it does
not import the engine package).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import runpy
import selectors
import signal
import socket
import sys
import traceback
from typing import Any

__all__ = ["main", "private_tmp_supported", "sandbox_problem"]

_CLONE_NEWNS = 0x00020000
_MS_REC = 1 << 14
_MS_PRIVATE = 1 << 18
_MS_BIND = 4096
_PY_FLAGS = {"-u", "-B", "-E", "-s", "-S", "-O", "-OO", "-I", "-q"}


def _load_sandbox() -> Any:
    """`_sandbox`, loaded by file path: the zygote runs as a script and must not import the engine package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_sluice_sandbox", os.path.join(os.path.dirname(__file__), "_sandbox.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_sandbox = _load_sandbox()


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


def _run_python(argv: list[str]) -> int:
    args = argv[1:]
    while args and args[0] in _PY_FLAGS:
        args = args[1:]
    try:
        if args and args[0] == "-c":
            sys.argv = ["-c", *args[2:]]
            code = compile(args[1], "<string>", "exec")
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
        elif args and args[0] == "-m":
            sys.argv = [args[1], *args[2:]]
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        elif args:
            sys.argv = list(args)
            sys.path.insert(0, os.path.dirname(os.path.abspath(args[0])))
            runpy.run_path(args[0], run_name="__main__")
        else:
            sys.argv = [""]
            exec(compile(sys.stdin.read(), "<stdin>", "exec"), {"__name__": "__main__"})
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        print(e.code, file=sys.stderr)
        return 1
    except BaseException:  # the step's own error: print it like the interpreter would
        traceback.print_exc()
        return 1
    return 0


def _child(req: dict[str, Any], stdout_w: int, close_fds: list[int]) -> None:
    code = 127
    try:
        for fd in close_fds:
            os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        os.setsid()
        log_fd = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(stdout_w, 1)
        os.dup2(log_fd, 2)
        os.close(stdout_w)
        os.close(log_fd)
        os.close(null)
        if req.get("sandbox"):
            _sandbox.enter({**req["sandbox"], "keep": _interpreter_paths()}, _kept_under_tmp())
        elif req.get("tmp"):
            _enter_private_tmp(req["tmp"], req.get("binds") or [])
        os.chdir(req["cwd"])
        env = req["env"]
        if req["mode"] == "exec":
            os.execvpe(req["argv"][0], req["argv"], env)
        os.environ.clear()
        os.environ.update(env)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - fds of the child process itself
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        code = _run_python(req["argv"])
        sys.stdout.flush()
        sys.stderr.flush()
    except FileNotFoundError as e:
        os.write(2, f"exec: {e.filename or req['argv'][0]}: executable file not found in $PATH\n".encode())
        code = 127
    except BaseException as e:  # report any setup failure in the step log
        os.write(2, f"failed to start step: {e}\n".encode())
        code = 126
    finally:
        os._exit(code & 0xFF if code >= 0 else 1)


class _Zygote:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sel = selectors.DefaultSelector()
        self.buf = b""
        self.children: dict[int, dict[str, Any]] = {}  # pid -> state
        self.pipes: dict[int, dict[str, Any]] = {}  # stdout read fd -> state
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
        r, w = os.pipe()
        state: dict[str, Any] = {"id": req["id"], "code": None, "eof": False, "fd": r}
        try:
            state["out"] = open(req["stdout"], "ab", buffering=0)  # noqa: SIM115 - closed on EOF
            state["log"] = open(req["log"], "ab", buffering=0)  # noqa: SIM115
        except OSError as e:
            self.send({"id": req["id"], "event": "exited", "code": 126, "error": str(e)})
            os.close(r)
            os.close(w)
            return
        pid = os.fork()
        if pid == 0:
            _child(req, w, [r, self.sock.fileno(), self.wake_r, self.wake_w])
        os.close(w)
        state["pid"] = pid
        self.children[pid] = state
        self.pipes[r] = state
        self.sel.register(r, selectors.EVENT_READ, "pipe")
        self.send({"id": req["id"], "event": "started", "pid": pid})

    def pump(self, fd: int) -> None:
        state = self.pipes[fd]
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if data:
            state["out"].write(data)
            state["log"].write(data)
            return
        self.sel.unregister(fd)
        os.close(fd)
        del self.pipes[fd]
        state["out"].close()
        state["log"].close()
        state["eof"] = True
        self.finish(state)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            state = self.children.pop(pid, None)
            if state is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            state["code"] = 128 - code if code < 0 else code
            self.finish(state)

    def finish(self, state: dict[str, Any]) -> None:
        if state["eof"] and state["code"] is not None:
            self.send({"id": state["id"], "event": "exited", "code": state["code"]})

    def serve(self) -> None:
        while True:
            for key, _ in self.sel.select(timeout=1.0):
                if key.data == "ctl":
                    chunk = self.sock.recv(1 << 20)
                    if not chunk:
                        self.shutdown()
                        return
                    self.buf += chunk
                    while b"\n" in self.buf:
                        line, self.buf = self.buf.split(b"\n", 1)
                        self.launch(json.loads(line))
                elif key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_r, 4096)
                    self.reap()
                else:
                    self.pump(key.fd)
            self.reap()

    def shutdown(self) -> None:
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def main() -> None:
    """Serve launch requests on the socket whose fd is `sys.argv[1]`."""
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # run as a script: do not let engine modules shadow a step's imports
    sock = socket.socket(fileno=int(sys.argv[1]))
    for name in sys.argv[2:]:  # warm imports shared by every forked Python step
        with contextlib.suppress(ImportError):
            __import__(name)
    _Zygote(sock).serve()


if __name__ == "__main__":
    main()
