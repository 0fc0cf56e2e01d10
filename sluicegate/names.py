"""Object names as Kubernetes accepts them, and paths built from names or keys kept under their root.

Called by the object store on every create and apply (`metadata.name`, the name `generateName` resolves
to, `metadata.namespace`), so every way in (API, `sluice apply`, triggers, submit, cron) is checked in one
place; and by every module that builds a file path from a name or an artifact key (step logs, the artifact
repository, rollout logs, the UI), which resolve it with `under` so `..`, absolute keys and symlinks cannot
leave the root. Both raise ManifestError (HTTP 400) with the field path and the rule, never a 500.
"""

from __future__ import annotations

import re
from pathlib import Path

from sluicegate.errors import ManifestError

__all__ = ["check_name", "check_namespace", "under"]

#: Kubernetes' DNS-1123 subdomain (metadata.name of most kinds): lower-case alphanumerics, '-' and '.'.
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
#: Kubernetes' DNS-1123 label (namespaces): lower-case alphanumerics and '-', at most 63 characters.
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN_MAX = 253
_LABEL_MAX = 63


def check_name(kind: str, name: str, field: str = "metadata.name", prefix: bool = False) -> None:
    """ManifestError unless `name` is a DNS-1123 subdomain (Kubernetes' rule for `metadata.name`).

    Args:
        kind: the object's kind (for the message).
        name: the name to check.
        field: the field path it came from.
        prefix: `name` is a `generateName` prefix (a trailing `-` is allowed, as Kubernetes allows it).
    """
    checked = name[:-1] + "a" if prefix and name.endswith("-") else name
    if len(name) <= _SUBDOMAIN_MAX and _SUBDOMAIN.fullmatch(checked):
        return
    raise ManifestError(
        f"{name!r} is not a valid name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
        f"characters, '-' or '.', start and end with an alphanumeric character, at most {_SUBDOMAIN_MAX} long",
        where=f"{kind}: {field}",
        fix="use e.g. 'model-pipeline' or 'my-name.v2'",
    )


def check_namespace(kind: str, namespace: str) -> None:
    """ManifestError unless `namespace` is empty (cluster-scoped) or a DNS-1123 label."""
    if not namespace or (len(namespace) <= _LABEL_MAX and _LABEL.fullmatch(namespace)):
        return
    raise ManifestError(
        f"{namespace!r} is not a valid namespace: a lowercase RFC 1123 label must consist of lower case "
        f"alphanumeric characters or '-', start and end with an alphanumeric character, at most {_LABEL_MAX} long",
        where=f"{kind}: metadata.namespace",
        fix="use e.g. 'sluicegate'",
    )


def under(root: Path, *parts: str, what: str = "path") -> Path:
    """`root / parts...` resolved, or ManifestError when it would leave `root` (`..`, absolute, symlinks).

    Args:
        root: the folder the path must stay in.
        *parts: the path's components below `root` (names, keys).
        what: what the path is, for the message (e.g. `s3.key`).
    """
    base = root.resolve()
    path = base.joinpath(*parts).resolve()
    if path != base and base not in path.parents:
        joined = "/".join(parts)
        raise ManifestError(
            f"{what} {joined!r} leaves its root folder",
            where=what,
            fix="use a relative path without '..' that stays inside the repository",
        )
    return path
