"""How much of the change feed the store keeps, and what a reader from before that window gets.

Called by `sluicegate.store._sqlite` on every write (compaction) and every change-feed read (the expiry
check). As Kubernetes compacts etcd and bounds its watch cache, the store keeps only the newest
`history` changes: a write whose resourceVersion is a multiple of `history // 10` deletes the older ones,
so the table never holds more than `history + history // 10` rows. The newest change is always kept,
since the next resourceVersion is taken from it.

A reader asking for changes after a resourceVersion that was compacted away cannot be told what happened
in between: API watchers get `ExpiredError` (HTTP 410 Gone, reason Expired) and list again, as Kubernetes
clients do; in-process waiters get `relist`: every object changed since, as ADDED, at its current version.
"""

from __future__ import annotations

import os
import sqlite3

from sluicegate.errors import ConfigError, ExpiredError
from sluicegate.store._objects import Change

__all__ = [
    "DEFAULT_HISTORY",
    "HISTORY_ENV",
    "compact",
    "expired_before",
    "expired_error",
    "history_from_env",
    "relist",
]

#: Changes kept by default: several seconds of a busy stack (200 workflows at once write about a thousand
#: a second), hours of a quiet one; about 60 bytes each.
DEFAULT_HISTORY = 10_000
#: The environment variable that sets how many changes a store keeps.
HISTORY_ENV = "SLUICE_STORE_HISTORY"
_MIN_HISTORY = 10


def history_from_env() -> int:
    """How many changes to keep: `SLUICE_STORE_HISTORY`, else `DEFAULT_HISTORY`."""
    raw = os.environ.get(HISTORY_ENV, "").strip()
    if not raw:
        return DEFAULT_HISTORY
    if not raw.isdigit() or int(raw) < _MIN_HISTORY:
        raise ConfigError(
            f"{raw!r} is not a number of changes of at least {_MIN_HISTORY}",
            where=HISTORY_ENV,
            fix=f"set a whole number such as {DEFAULT_HISTORY}, or unset it for the default",
        )
    return int(raw)


def compact(db: sqlite3.Connection, seq: int, history: int) -> None:
    """After the write of change `seq` (in its transaction): drop changes older than the newest `history`.

    Runs when `seq` is a multiple of a tenth of `history`, so most writes do no more than the check.
    """
    if seq % max(1, history // 10) == 0 and seq > history:
        db.execute("DELETE FROM changes WHERE seq <= ?", (seq - history,))


def expired_before(db: sqlite3.Connection, since: int) -> int | None:
    """The oldest resourceVersion a reader may still watch from, when `since` is older (else None).

    Changes up to the oldest one kept minus one were compacted; a reader at that version or later has
    missed nothing. Read after the changes themselves: a compaction in between can only make the answer
    more cautious, never hide a gap.
    """
    row = db.execute("SELECT MIN(seq) FROM changes").fetchone()
    if row is None or row[0] is None:
        return None
    oldest = int(row[0]) - 1
    return oldest if since < oldest else None


def relist(db: sqlite3.Connection, since: int, kinds: tuple[str, ...]) -> list[Change]:
    """Every object of `kinds` (all when empty) written after `since`, as ADDED at its current version.

    What a waiter gets instead of compacted changes: like the first events of a watch without a
    resourceVersion, with the deletions the feed still holds, in version order. Deletions that were
    compacted are not in it (Kubernetes' informers find those by comparing the list with a cache of
    their own; the store's waiters keep none).
    """
    only = ""
    args: list[object] = [since]
    if kinds:
        only = f" AND kind IN ({', '.join('?' * len(kinds))})"
        args += list(kinds)
    rows = db.execute(
        f"SELECT resource_version, 'ADDED', kind, namespace, name FROM objects WHERE resource_version > ?{only} "
        f"UNION ALL SELECT seq, type, kind, namespace, name FROM changes WHERE seq > ?{only} AND type = 'DELETED' "
        "ORDER BY 1",
        args + args,
    ).fetchall()
    return [Change(int(seq), str(typ), kind, ns, name) for seq, typ, kind, ns, name in rows]


def expired_error(since: int, oldest: int) -> ExpiredError:
    """Kubernetes' words for a watch from a compacted version, with what to do."""
    return ExpiredError(
        f"too old resource version: {since} ({oldest})",
        where="listOptions.resourceVersion",
        fix="list again and watch from the list's metadata.resourceVersion",
    )
