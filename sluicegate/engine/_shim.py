"""The two processes of a step: its shim (which outlives the controller, as a pod outlives Argo's) and the step.

Loaded by `_zygote` (by file path, standard library only); `shim(req, spawn)` runs in the process the zygote
forks for each launch request. The shim
- starts its own session (the step's process group, which the controller kills),
- records itself in `<run>/shim` (pid and start time), so a restarted controller can find and adopt it,
- calls `spawn(req)` (fork semantics; it enters the sandbox or the private /tmp first) to start the step,
- tees the step's stdout into the step log and the stdout file (`outputs.result`), stderr going straight
  into the log,
- waits for the step and records its exit code in `<run>/exit` (128+signal when killed), then exits with it.
Because the shim, not the zygote, holds the step's pipes and exit status, a step keeps running and its
outcome is kept when the zygote or the controller dies (`kill -9`); the next controller reads `<run>/exit`.
The step itself either `exec`s its command (shell images) or runs Python code in-process (`python -c/-m/x`).
"""

from __future__ import annotations

import contextlib
import os
import runpy
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

__all__ = ["run_python", "shim", "start_time"]

_PY_FLAGS = {"-u", "-B", "-E", "-s", "-S", "-O", "-OO", "-I", "-q"}


def start_time(pid: int) -> str:
    """The start time of process `pid` in clock ticks since boot ('' when it is gone): pid plus this is unique."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def _record(run_fd: int, name: str, text: str) -> None:
    """Write `<run>/<name>` atomically (through a dir fd: the shim may no longer see the host's paths)."""
    tmp = f".{name}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=run_fd)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.rename(tmp, name, src_dir_fd=run_fd, dst_dir_fd=run_fd)


def _import_paths(flags: set[str], first: str) -> None:
    """`sys.path` as a new interpreter starts it for this step.

    `first` (the script's folder, the working directory for `-m`, '' for `-c` and stdin) unless `-I`, then the
    step's PYTHONPATH unless `-E`/`-I`, then the installation's paths (the zygote's `sys.path`, without its
    script's folder).
    """
    head = [] if "-I" in flags else [first]
    if not flags & {"-E", "-I"}:
        head += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [*head, *(p for p in sys.path if p not in head)]


def run_python(argv: list[str]) -> int:
    """Run `python [flags] -c/-m/script args` in this interpreter; the exit code it would have had."""
    args = argv[1:]
    flags: set[str] = set()
    while args and args[0] in _PY_FLAGS:
        flags.add(args[0])
        args = args[1:]
    try:
        if args and args[0] == "-c":
            sys.argv = ["-c", *args[2:]]
            _import_paths(flags, "")
            code = compile(args[1], "<string>", "exec")
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
        elif args and args[0] == "-m":
            sys.argv = [args[1], *args[2:]]
            _import_paths(flags, os.getcwd())
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        elif args:
            sys.argv = list(args)
            _import_paths(flags, os.path.dirname(os.path.abspath(args[0])))
            runpy.run_path(args[0], run_name="__main__")
        else:
            sys.argv = [""]
            _import_paths(flags, "")
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


def _step(req: dict[str, Any], stdout_w: int) -> NoReturn:
    code = 127
    try:
        os.dup2(stdout_w, 1)
        os.close(stdout_w)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(req["cwd"])
        env = req["env"]
        if req["mode"] == "exec":
            os.execvpe(req["argv"][0], req["argv"], env)
        os.environ.clear()
        os.environ.update(env)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - fds of the step process itself
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        code = run_python(req["argv"])
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


def _tee(fd: int, *outs: int) -> None:
    while True:
        try:
            data = os.read(fd, 65536)
        except InterruptedError:
            continue
        if not data:
            return
        for out in outs:
            view = memoryview(data)
            while view:
                view = view[os.write(out, view) :]


def shim(req: dict[str, Any], spawn: Callable[[dict[str, Any]], int]) -> NoReturn:
    """Run one step under this process (see the module docstring); never returns."""
    code, run_fd = 126, -1
    try:
        for sig in (signal.SIGCHLD, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the step gets it; the shim records how it ended
        signal.set_wakeup_fd(-1)
        os.setsid()
        run_fd = os.open(req["run"], os.O_RDONLY | os.O_DIRECTORY)
        _record(run_fd, "shim", f"{os.getpid()} {start_time(os.getpid())}\n")
        log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        r, w = os.pipe()
        pid = spawn(req)
        if pid == 0:
            os.close(r)
            os.close(out)
            os.close(log)
            os.close(run_fd)
            _step(req, w)
        os.close(w)
        _tee(r, out, log)
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        exit_code = os.waitstatus_to_exitcode(status)
        code = 128 - exit_code if exit_code < 0 else exit_code
    except BaseException as e:  # the step could not start: say why in its log
        os.write(2, f"failed to start step: {e}\n".encode())
        code = 126
    finally:
        if run_fd >= 0:
            with contextlib.suppress(OSError):
                _record(run_fd, "exit", f"{code}\n")
        os._exit(code & 0xFF)
