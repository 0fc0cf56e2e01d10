"""Local Secrets: the embedded stack's equivalent of Kubernetes Secrets.

`sluice secret set NAME KEY VALUE` writes here; a manifest's `secretKeyRef {name, key}` resolves here.
Stored as one JSON file in SLUICE_HOME with mode 0600.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from sluicegate.errors import NotFoundError

__all__ = ["SecretStore"]


class SecretStore:
    """Secrets by name and key, persisted in `<home>/secrets.json` (mode 0600).

    Args:
        home: the SLUICE_HOME folder.
    """

    def __init__(self, home: Path) -> None:
        self.path = home / "secrets.json"
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return {str(k): {str(kk): str(vv) for kk, vv in v.items()} for k, v in data.items()}

    def set(self, name: str, key: str, value: str) -> None:
        """Store `value` under secret `name`, key `key` (written atomically, mode 0600)."""
        with self._lock:
            data = self._load()
            data.setdefault(name, {})[key] = value
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
            os.chmod(self.path, 0o600)

    def get(self, name: str, key: str) -> str:
        """The value of a `secretKeyRef`; NotFoundError saying how to set it."""
        value = self.try_get(name, key)
        if value is None:
            raise NotFoundError(
                f'secret "{name}" has no key "{key}"',
                where=f"secretKeyRef {{name: {name}, key: {key}}}",
                fix=f"run `sluice secret set {name} {key} VALUE`",
            )
        return value

    def try_get(self, name: str, key: str) -> str | None:
        """The value, or None."""
        return self._load().get(name, {}).get(key)

    def names(self) -> list[str]:
        """Secret names (never values)."""
        return sorted(self._load())
