"""The one mapping from an HTTP answer of the stack's API (or an Argo Server) to a SluiceError.

Called by `sluicegate.client._http` (plain HTTP calls) and `sluicegate.client._argo` (Hera's calls), so every
caller of the API (CLI, demo, backends, notebook) reports the same status the same way.
"""

from __future__ import annotations

from typing import NoReturn

from sluicegate.errors import ConfigError, ConflictError, ManifestError, NotFoundError, ServiceError, SluiceError

__all__ = ["UNREACHABLE_FIX", "error_for_status", "raise_for_status", "unreachable"]

#: What to do when the API does not answer at all.
UNREACHABLE_FIX = "start the local stack with `sluice up --detach` (see `sluice status`), or pass a reachable --server"


def error_for_status(status: int, message: str, *, where: str, not_found_fix: str = "") -> SluiceError:
    """The SluiceError for an HTTP error `status` (>= 400) whose body said `message`.

    Args:
        status: the HTTP status code.
        message: what the server said (its `message` field, or the start of its body).
        where: the URL or server the call went to.
        not_found_fix: what to do on 404, when the caller knows better than "check the name".
    """
    if status == 404:
        return NotFoundError(message, where=where, fix=not_found_fix or "check the name and --namespace")
    if status == 409:
        return ConflictError(message, where=where)
    if status in (400, 422):
        return ManifestError(message, where=where, fix="fix the request the server named and re-run")
    if status in (401, 403):
        return ConfigError(
            f"not allowed ({message})",
            where=where,
            fix="use the stack's token (SLUICE_HOME/token) or pass a valid --token (a team ServiceAccount token)",
        )
    return ServiceError(f"HTTP {status}: {message}", where=where)


def raise_for_status(status: int, message: str, *, where: str, not_found_fix: str = "") -> NoReturn:
    """Raise `error_for_status(...)`."""
    raise error_for_status(status, message, where=where, not_found_fix=not_found_fix)


def unreachable(error: Exception, *, where: str) -> ServiceError:
    """The error for a server that did not answer (connection refused, timeout)."""
    return ServiceError(f"cannot reach the server ({type(error).__name__})", where=where, fix=UNREACHABLE_FIX)
