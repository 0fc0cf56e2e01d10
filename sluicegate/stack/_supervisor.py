"""The supervisor behind `sluice up`: state folder, token, store, start-up apply, parts in order, endpoints.

Called by `sluicegate.cli._stack` (foreground and the detached child) and by tests that want a whole stack
in-process (`with Stack(settings) as stack: ...`). Parts start in registry order and stop in reverse; a part
that fails to start stops the ones already started and the error names the part.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from sluicegate.config import Settings
from sluicegate.errors import ConfigError, ManifestError, ServiceError, SluiceError
from sluicegate.manifests import default_namespace, load_manifests
from sluicegate.part import Part, StackContext
from sluicegate.secrets import SecretStore
from sluicegate.stack._lock import HomeLock, private_home
from sluicegate.stack._parts import stack_parts
from sluicegate.stack._state import PidFile, ensure_token, start_time, write_private
from sluicegate.store import Store

__all__ = ["Stack", "check_ports"]


class Stack:
    """The local stack: every part of `stack_parts()` over one store in `settings.home`.

    Args:
        settings: home, ports, optional external MLflow.
        manifests: a folder of rendered manifests to apply before the parts start (skipped if missing).
        parts: the parts (default: the registry's).
        without: names of parts not to start (`sluice up --without events`); `mlflow` and `api` are required.
    """

    def __init__(
        self,
        settings: Settings,
        manifests: Path | None = None,
        parts: list[Part] | None = None,
        without: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.manifests = manifests
        parts = parts if parts is not None else stack_parts()
        names = {p.name for p in parts}
        unknown, required = sorted(without - names), sorted(without & {"mlflow", "api"})
        if unknown or required:
            raise ConfigError(
                f"cannot leave out {unknown + required}",
                where="--without",
                fix=f"name optional parts only: {sorted(names - {'mlflow', 'api'})}",
            )
        self.parts = [p for p in parts if p.name not in without]
        self.pidfile = PidFile(settings.home / "stack.pid")
        self.applied: list[tuple[str, str]] = []
        self._started: list[Part] = []
        self._ctx: StackContext | None = None
        self._lock = HomeLock(settings.home)
        self._late: set[int] = set()  # processes started after their part (model servers)
        self._unlisten: Callable[[], None] | None = None

    @property
    def endpoints(self) -> dict[str, Any]:
        """URLs of the started parts (`api`, `mlflow`, ...)."""
        return dict(self._ctx.endpoints) if self._ctx else {}

    @property
    def token(self) -> str:
        """The API bearer token."""
        return self._ctx.token if self._ctx else ""

    @property
    def store(self) -> Store:
        """The object store (after start)."""
        if self._ctx is None:
            raise ServiceError("the stack is not started", fix="call start() first")
        return self._ctx.store

    def _groups(self) -> list[int]:
        groups = {g for p in self._started for g in getattr(p, "pids", list)()}
        return sorted(groups | {g for g in self._late if start_time(g) is not None})

    def _record(self, pid: int) -> None:
        """A process started while the stack runs: record it in the pid file at once."""
        self._late.add(pid)
        if self._ctx is not None:
            self.pidfile.write(os.getpid(), self._groups())

    def start(self) -> dict[str, Any]:
        """Start everything; returns the endpoints. Refuses when another stack runs on this home."""
        from sluicegate.api import ApiServer
        from sluicegate.services import on_process_start

        home = self.settings.home
        private_home(home)
        self._lock.acquire()  # two racing `sluice up` on one home: the second stops here
        other = self.pidfile.running()
        if other is not None:
            self._lock.release()
            raise ServiceError(
                f"a stack is already running here (pid {other})", where=str(home), fix="run `sluice down` first"
            )
        self.pidfile.clean_leftovers()
        check_ports(self.settings, {p.name for p in self.parts})
        self.settings.endpoints_file.unlink(missing_ok=True)
        for sub in ("logs", "artifacts"):
            (home / sub).mkdir(exist_ok=True)
        self.pidfile.write(os.getpid(), [])
        self._unlisten = on_process_start(self._record)
        store = Store(self.settings.store_file)
        self._ctx = StackContext(self.settings, store, SecretStore(home), ensure_token(self.settings.token_file))
        self._ctx.publish = self._publish
        try:
            self._apply_manifests(store)
            for part in self.parts:
                if isinstance(part, ApiServer):
                    part.attach(self.parts)
            for part in self.parts:
                self._start_part(part)
        except BaseException:
            self.stop()
            raise
        self._write_endpoints()
        return self.endpoints

    def _start_part(self, part: Part) -> None:
        assert self._ctx is not None  # set by start()
        try:
            entries = part.start(self._ctx)
        except SluiceError:
            self._started.append(part)
            raise
        except Exception as e:
            self._started.append(part)
            raise ServiceError(f"failed to start: {type(e).__name__}: {e}", where=f"part {part.name!r}") from e
        self._started.append(part)
        self._ctx.endpoints.update(entries or {})
        self.pidfile.write(os.getpid(), self._groups())

    def _apply_manifests(self, store: Store) -> None:
        from sluicegate.api import apply_document

        if self.manifests is None or not self.manifests.is_dir():
            return
        for where, doc in load_manifests([self.manifests]):
            doc = _keep_live_model(store, default_namespace(doc))
            try:
                obj, result = apply_document(store, doc)
            except ManifestError as e:
                raise ManifestError(e.what, where=f"{where}: {e.where}", fix=e.fix) from e
            self.applied.append((f"{obj['kind']}/{obj['metadata']['name']}", result))

    def _publish(self, entries: dict[str, Any]) -> None:
        """A part's URLs changed after start: merge them, and rewrite endpoints.json once the stack is up."""
        if self._ctx is None:
            return
        self._ctx.endpoints.update(entries)
        if self.settings.endpoints_file.exists():
            self._write_endpoints()

    def _write_endpoints(self) -> None:
        data = {**self.endpoints, "pid": os.getpid(), "home": str(self.settings.home)}
        write_private(self.settings.endpoints_file, json.dumps(data, indent=1) + "\n")

    def status(self) -> dict[str, dict[str, Any]]:
        """Each started part's status (a failing part reports its error)."""
        out: dict[str, dict[str, Any]] = {}
        for part in self._started:
            try:
                out[part.name] = part.status()
            except Exception as e:
                out[part.name] = {"healthy": False, "error": f"{type(e).__name__}: {e}"}
        return out

    def stop(self) -> None:
        """Stop the started parts in reverse order; remove endpoints.json and the pid file. Idempotent."""
        errors: list[str] = []
        for part in reversed(self._started):
            try:
                part.stop()
            except Exception as e:  # keep stopping the others
                errors.append(f"{part.name}: {e}")
        self._started.clear()
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._ctx is not None:
            self.settings.endpoints_file.unlink(missing_ok=True)
            with contextlib.suppress(Exception):
                self._ctx.store.close()
            data = self.pidfile.read() or {}
            if data.get("pid") == os.getpid():
                self.pidfile.path.unlink(missing_ok=True)
            self._ctx = None
        self._lock.release()
        if errors:
            raise ServiceError("some parts did not stop cleanly: " + "; ".join(errors), fix="run `sluice down` again")

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def check_ports(settings: Settings, parts: set[str]) -> None:
    """Fail at once when a fixed port of the `parts` is taken, instead of after MLflow's half-minute start.

    Called by `Stack.start` and, before it starts the detached child, by `detach` (the error then comes
    without the child's start-up).
    """
    wanted = {"api": ("--port / SLUICE_API_PORT", settings.api_port)}
    if settings.mlflow_tracking_uri is None and "mlflow" in parts:
        wanted["mlflow"] = ("--mlflow-port / SLUICE_MLFLOW_PORT", settings.mlflow_port)
    for part, (option, port) in wanted.items():
        if not port:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((settings.host, port))
            except OSError as e:
                raise ServiceError(
                    f"{settings.host}:{port} is taken ({e.strerror}); the {part} part cannot bind it",
                    where=f"part {part!r}",
                    fix=f"stop what uses it (another stack? `sluice down`) or pick another: {option} (0: any)",
                ) from e


def _keep_live_model(store: Store, doc: dict[str, Any]) -> dict[str, Any]:
    """A Rollout manifest with the pod template of the live Rollout, if there is one.

    The pipeline patches the template (the model URI) after the manifest was written; re-applying the
    manifest at start must not reset the model a live Rollout serves, nor start a canary for it.
    """
    meta, spec = doc.get("metadata"), doc.get("spec")
    if doc.get("kind") != "Rollout" or not isinstance(meta, dict) or not isinstance(spec, dict):
        return doc
    live = store.try_get("Rollout", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    if live is None or "template" not in (live.get("spec") or {}):
        return doc
    return {**doc, "spec": {**spec, "template": live["spec"]["template"]}}
