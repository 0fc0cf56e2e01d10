"""List keys and `continue` tokens: where one page of a list ends and the next begins.

Called by the API's lists (`listOptions.continue`) and the UI's workflow list. A list key is
`[creationTimestamp, namespace, name]` for newest-first lists (Workflows, as Argo lists them) and
`[namespace, name]` otherwise, the same keys `Store.scan` orders and resumes by; a token is the key as
URL-safe base64 JSON, opaque to clients.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from sluicegate.errors import ManifestError

__all__ = ["continue_key", "continue_token", "list_key"]


def list_key(doc: dict[str, Any], newest_first: bool) -> list[str]:
    """The list key of `doc` in a newest-first list or a by-name list."""
    meta = doc["metadata"]
    by_name = [str(meta.get("namespace", "")), str(meta["name"])]
    return [str(meta.get("creationTimestamp", "")), *by_name] if newest_first else by_name


def continue_token(key: list[str]) -> str:
    """The opaque `metadata.continue` of a page that ended at the list key `key`."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def continue_key(token: str | None, newest_first: bool, where: str = "listOptions.continue") -> list[str] | None:
    """The list key a `continue` token stands for (None without one); ManifestError for a forged token."""
    if not token:
        return None
    try:
        after = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        after = None
    size = 3 if newest_first else 2
    if not isinstance(after, list) or len(after) != size or not all(isinstance(k, str) for k in after):
        raise ManifestError(
            "continue key is not valid",
            where=where,
            fix="pass the metadata.continue of the previous page unchanged, or start again without it",
        )
    return after
