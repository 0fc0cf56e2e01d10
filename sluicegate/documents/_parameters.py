"""`NAME=VALUE` parameters, as Argo's submit, resubmit and retry take them, and how they override a Workflow's.

Called by the CLI (`-p`), the API (SubmitOpts and the archive's resubmit), the workflow controller's
resubmission and the Sensors' argoWorkflow trigger (`argo submit -p`): one parser and one override, so a value
given anywhere lands in the same place, in the same order, as Argo's `overrideParameters` puts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.errors import ManifestError, SluiceError

__all__ = ["override_parameters", "parameter_pairs"]


def parameter_pairs(
    pairs: Any,
    *,
    where: str,
    fix: str = "write NAME=VALUE",
    indexed: bool = False,
    error: type[SluiceError] = ManifestError,
) -> dict[str, str]:
    """`["k=v", ...]` as a dict in the order given (a repeated name keeps its last value); None or "" is none.

    Args:
        pairs: the list as received.
        where: the option or field the list came from, for the error (`-p/--parameter`, `parameters`).
        fix: the error's fix.
        indexed: name the bad entry's index in the error's where (`parameters[2]`), for a field of a document.
        error: the SluiceError raised (the CLI's ConfigError, else a ManifestError: 400 from the API).
    """
    if pairs in (None, ""):
        return {}
    if not isinstance(pairs, list | tuple):
        raise error(f"must be a list of NAME=VALUE strings, not {pairs!r:.60}", where=where, fix=fix)
    given: dict[str, str] = {}
    for i, pair in enumerate(pairs):
        name, sep, value = pair.partition("=") if isinstance(pair, str) else ("", "", "")
        if not sep or not name.strip():
            # Argo's own words (workflow/util's overrideParameters)
            problem = f"expected parameter of the form: NAME=VALUE. Received: {pair!r}"
            raise error(problem, where=f"{where}[{i}]" if indexed else where, fix=fix)
        given[name.strip()] = value
    return given


def override_parameters(spec: dict[str, Any], given: Mapping[str, str] | None) -> None:
    """Set `spec.arguments.parameters` as Argo's `overrideParameters` does; no-op without any given (or None).

    The given ones come first, in the order given and as `{name, value}` alone, then the workflow's others as
    they were.
    """
    if not given:
        return
    arguments = spec.setdefault("arguments", {})
    kept = [p for p in arguments.get("parameters") or [] if p.get("name") not in given]
    arguments["parameters"] = [{"name": k, "value": v} for k, v in given.items()] + kept
