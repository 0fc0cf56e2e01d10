"""`argoWorkflow.args`: the `argo submit` flags of an argoWorkflow trigger, applied to the Workflow it submits.

Called by `_triggers.TriggerRunner` before it creates the Workflow. Argo Events appends `args` to its
`argo -n <namespace> submit <file>` command; `argo submit` then overrides Workflow fields with them. The
flags that set a Workflow field are applied here as `argo submit` applies them: `-p/--parameter NAME=VALUE`
(repeatable; the given parameters come first, replacing same-named arguments, the other arguments follow),
`--entrypoint`, `--serviceaccount` (spec.serviceAccountName), `--name` and `--generate-name` (metadata),
`-l/--labels k=v,k2=v2` (merged over the labels, the trigger's included) and `--priority` (spec.priority).
An empty value leaves its field alone; a repeated flag (a repeated `-p NAME` too) keeps its last value.
Flags are read as the argo CLI reads them: `--flag value`, `--flag=value`, `-p value`, `-pvalue`,
`-p=value`, `--` ends the flags. Any other flag or argument fails the trigger, naming it and the
supported flags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sluicegate.errors import ManifestError

__all__ = ["SUPPORTED_FLAGS", "SubmitArgs", "apply_submit_args", "parse_submit_args"]

#: The `argo submit` flags an argoWorkflow trigger's `args` may hold locally.
SUPPORTED_FLAGS = (
    "-p/--parameter",
    "--entrypoint",
    "--serviceaccount",
    "--name",
    "--generate-name",
    "-l/--labels",
    "--priority",
)
_LONG = frozenset(("parameter", "entrypoint", "serviceaccount", "name", "generate-name", "labels", "priority"))
_SHORT = {"p": "parameter", "l": "labels"}
_WHERE = "argoWorkflow.args"
_INT = re.compile(r"(?P<sign>[+-]?)(?P<digits>0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9][0-9]*|0)")


@dataclass
class SubmitArgs:
    """The flags of one `args` list: every `-p` value in order, the other flags by long name (last wins)."""

    parameters: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)


def _unsupported(arg: str) -> ManifestError:
    return ManifestError(
        f"`argo submit` argument {arg!r} is not supported locally",
        where=_WHERE,
        fix=f"use only {', '.join(SUPPORTED_FLAGS)}, or set the field in the Workflow itself",
    )


def _flag(arg: str) -> tuple[str, str | None]:
    """(long name, inline value or None) of one flag argument."""
    if arg.startswith("--"):
        name, sep, value = arg[2:].partition("=")
        long = name if name in _LONG else None
        inline = value if sep else None
    else:
        long = _SHORT.get(arg[1:2])
        rest = arg[2:]
        inline = (rest[1:] if rest.startswith("=") else rest) if rest else None
    if long is None:
        raise _unsupported(arg)
    return long, inline


def parse_submit_args(args: Sequence[Any]) -> SubmitArgs:
    """The supported `argo submit` flags in `args`; ManifestError for anything else."""
    out = SubmitArgs()
    words = [str(a) for a in args]
    i = 0
    while i < len(words):
        arg = words[i]
        i += 1
        if arg == "--":
            if i < len(words):
                raise _unsupported(words[i])
            break
        if not arg.startswith("-") or arg == "-":
            raise _unsupported(arg)
        long, value = _flag(arg)
        if value is None:
            if i >= len(words):
                raise ManifestError(
                    f"flag needs an argument: {arg}", where=_WHERE, fix=f"write e.g. [{arg}, VALUE] or {arg}=VALUE"
                )
            value = words[i]
            i += 1
        if long == "parameter":
            out.parameters.append(value)
        else:
            out.values[long] = value
    return out


def _labels(text: str) -> dict[str, str]:
    """`k=v,k2=v2` as the argo CLI's ParseLabels reads it."""
    labels: dict[str, str] = {}
    for spec in text.split(","):
        parts = spec.split("=")
        if len(parts) != 2 or not parts[0]:
            raise ManifestError(
                f"--labels {text!r}: unexpected label spec {spec!r}",
                where=_WHERE,
                fix="write --labels NAME1=VALUE1,NAME2=VALUE2",
            )
        labels[parts[0]] = parts[1]
    return labels


def _priority(text: str) -> int:
    """An int32 as the argo CLI reads `--priority` (Go's base-0 integers: 12, 0x1f, 0o17, 017, 0b101)."""
    m = _INT.fullmatch(text)
    value = 1 << 40
    if m:
        digits = m.group("digits")
        base = {"0x": 16, "0b": 2, "0o": 8}.get(digits[:2].lower(), 8 if len(digits) > 1 and digits[0] == "0" else 10)
        body = digits[2:] if base != 10 and digits[1:2].isalpha() else digits
        value = int(body, base) * (-1 if m.group("sign") == "-" else 1)
    if not -(1 << 31) <= value < (1 << 31):
        raise ManifestError(
            f"invalid argument {text!r} for --priority", where=_WHERE, fix="give a whole number (int32)"
        )
    return value


def _override_parameters(wf: dict[str, Any], pairs: list[str]) -> None:
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ManifestError(
                f"expected parameter of the form: NAME=VALUE. Received: {pair!r}",
                where=f"{_WHERE} (-p/--parameter)",
                fix="write -p NAME=VALUE",
            )
        given[name] = value
    arguments = wf.setdefault("spec", {}).setdefault("arguments", {})
    kept = [p for p in arguments.get("parameters") or [] if p.get("name") not in given]
    arguments["parameters"] = [{"name": k, "value": v} for k, v in given.items()] + kept


def apply_submit_args(wf: dict[str, Any], args: Sequence[Any]) -> dict[str, Any]:
    """Apply the `argo submit` flags in `args` to the Workflow `wf` (mutated and returned)."""
    parsed = parse_submit_args(args)
    values = {k: v for k, v in parsed.values.items() if v}
    spec = wf.setdefault("spec", {})
    meta = wf.setdefault("metadata", {})
    if "entrypoint" in values:
        spec["entrypoint"] = values["entrypoint"]
    if "serviceaccount" in values:
        spec["serviceAccountName"] = values["serviceaccount"]
    if "priority" in parsed.values:
        spec["priority"] = _priority(parsed.values["priority"])
    if "labels" in values:
        meta["labels"] = {**(meta.get("labels") or {}), **_labels(values["labels"])}
    if parsed.parameters:
        _override_parameters(wf, parsed.parameters)
    if "generate-name" in values:
        meta["generateName"] = values["generate-name"]
    if "name" in values:
        meta["name"] = values["name"]
    return wf
