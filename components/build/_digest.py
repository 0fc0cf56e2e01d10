"""The content digest of a bundle directory: sha256 over its files in sorted path order.

Called by `components.build` (the `bundle-digest` output) and by anything that wants to check a bundle
it received (tests, the local engine). Only relative paths and contents count, not timestamps or modes,
so the same model version always gives the same digest.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["bundle_digest"]


def bundle_digest(root: Path) -> str:
    """`sha256:<hex>` over every regular file under `root`: for each, its relative path, NUL, its sha256."""
    outer = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        inner = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                inner.update(block)
        outer.update(path.relative_to(root).as_posix().encode() + b"\0" + inner.digest())
    return f"sha256:{outer.hexdigest()}"
