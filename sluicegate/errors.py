"""The one exception root of Sluicegate, and the tree under it.

Every error a user can cause says where (document kind/name, field path, file, URL), what was wrong
(the offending value) and how to fix it. Third-party exceptions are wrapped (`raise ... from e`) so
that MLflow, Kubernetes and HTTP client errors never reach the user raw.

    SluiceError
    ├── ConfigError            bad configuration, environment or command-line value
    ├── ManifestError          a definition or manifest is invalid (carries the field path)
    ├── NotFoundError          an object, model or file that should exist does not
    ├── ConflictError          an object exists already or changed under us (resourceVersion)
    ├── ExpiredError           a watch asked for changes the store no longer keeps (410: list again)
    ├── ExprError              an expression, path or duration does not parse or evaluate (sluicegate.lang)
    ├── ServiceError           a service we start or talk to is unreachable or failed to start
    └── StepError              a workflow step or component failed (carries step and template)

The CLI prints `error: <message>` on one line and exits non-zero for every SluiceError.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConflictError",
    "ExpiredError",
    "ExprError",
    "ManifestError",
    "NotFoundError",
    "ServiceError",
    "SluiceError",
    "StepError",
    "field_path",
]


class SluiceError(Exception):
    """Root of every error Sluicegate raises on purpose.

    Args:
        what: what was wrong, including the offending value.
        where: the document, field path, file or URL the error is about.
        fix: what the user should do instead.
    """

    #: HTTP status the API answers with when this error reaches it.
    http_status = 500

    def __init__(self, what: str, *, where: str = "", fix: str = "") -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message: `where: what; fix`."""
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text}; {self.fix}" if self.fix else text


class ConfigError(SluiceError):
    """A configuration, environment or command-line value is invalid."""

    http_status = 400


class ManifestError(SluiceError):
    """A definition or manifest is invalid; `where` carries `Kind/name: field.path`."""

    http_status = 400


class NotFoundError(SluiceError):
    """Something that should exist does not."""

    http_status = 404


class ConflictError(SluiceError):
    """An object already exists, or changed since it was read."""

    http_status = 409


class ExpiredError(SluiceError):
    """The changes after a resourceVersion were compacted away: list again and watch from the list's version."""

    http_status = 410


class ExprError(SluiceError, ValueError):
    """An expression, path or duration cannot be parsed or evaluated (raised by `sluicegate.lang`).

    Also a ValueError, as the evaluators' errors always were: callers that catch ValueError keep doing so.
    """


class ServiceError(SluiceError):
    """A service we start or talk to is unreachable or failed to start."""

    http_status = 503


class StepError(SluiceError):
    """A workflow step or component failed."""

    http_status = 500


def field_path(*parts: str | int) -> str:
    """Join keys and list indexes into a field path: `("spec", "templates", 3)` -> `spec.templates[3]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else part
    return out
