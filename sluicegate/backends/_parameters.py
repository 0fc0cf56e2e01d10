"""`-p NAME=VALUE` pairs of the workflow verbs, as a dict.

Called by the CLI's submit, `node set` and archive verbs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sluicegate.errors import ConfigError

__all__ = ["parse_parameters"]


def parse_parameters(pairs: Sequence[str]) -> dict[str, str]:
    """`["k=v", ...]` as a dict; a pair without `=` is a ConfigError naming it."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{pair!r} is not NAME=VALUE", where="-p/--parameter", fix="write -p model-name=wine")
        params[name.strip()] = value
    return params
