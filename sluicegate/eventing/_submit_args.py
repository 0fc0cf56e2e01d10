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
supported flags. `parse_args` reads the flags of the other `argo` commands (a `FlagTable` each) the same
way, for `_workflow_ops`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sluicegate.documents import override_parameters, parameter_pairs
from sluicegate.errors import ManifestError

__all__ = [
    "SUBMIT",
    "SUPPORTED_FLAGS",
    "FlagTable",
    "SubmitArgs",
    "apply_submit_args",
    "argument_pairs",
    "parse_args",
    "parse_submit_args",
]

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
_WHERE = "argoWorkflow.args"
_INT = re.compile(r"(?P<sign>[+-]?)(?P<digits>0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9][0-9]*|0)")
_BOOLS = {word: "true" for word in ("1", "t", "T", "TRUE", "true", "True")} | {
    word: "false" for word in ("0", "f", "F", "FALSE", "false", "False")
}


@dataclass(frozen=True)
class FlagTable:
    """The flags of one `argo` command that an argoWorkflow trigger's `args` may hold locally.

    `values`: long names that take a value; `switches`: boolean long names (`--x`, `--x=false`); `short`:
    one-letter names by their long name; `supported`: the flags as messages name them; `fix`: what to do
    instead of an unsupported flag.
    """

    command: str
    supported: tuple[str, ...]
    values: frozenset[str] = frozenset()
    switches: frozenset[str] = frozenset()
    short: Mapping[str, str] = field(default_factory=dict)
    fix: str = ""


#: `argo submit`'s table.
SUBMIT = FlagTable(
    "argo submit",
    SUPPORTED_FLAGS,
    values=frozenset(("parameter", "entrypoint", "serviceaccount", "name", "generate-name", "labels", "priority")),
    short={"p": "parameter", "l": "labels"},
    fix="set the field in the Workflow itself",
)


@dataclass
class SubmitArgs:
    """The flags of one `args` list: every `-p` value in order, the other flags by long name (last wins).

    A switch's value is `true` or `false`.
    """

    parameters: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)


def _unsupported(arg: str, table: FlagTable) -> ManifestError:
    allowed = f"use only {', '.join(table.supported)}" if table.supported else f"`{table.command}` takes no flags here"
    return ManifestError(
        f"`{table.command}` argument {arg!r} is not supported locally",
        where=_WHERE,
        fix=f"{allowed}, or {table.fix}" if table.fix else allowed,
    )


def _flag(arg: str, table: FlagTable) -> tuple[str, str | None]:
    """(long name, inline value or None) of one flag argument."""
    if arg.startswith("--"):
        name, sep, value = arg[2:].partition("=")
        long = name if name in table.values or name in table.switches else None
        inline = value if sep else None
    else:
        long = table.short.get(arg[1:2])
        rest = arg[2:]
        inline = (rest[1:] if rest.startswith("=") else rest) if rest else None
    if long is None:
        raise _unsupported(arg, table)
    return long, inline


def _switch(long: str, value: str | None) -> str:
    """`true` or `false` of a boolean flag, read as Go's strconv.ParseBool reads it."""
    known = _BOOLS.get("true" if value is None else value)
    if known is None:
        raise ManifestError(
            f"invalid argument {value!r} for --{long}", where=_WHERE, fix=f"write --{long} or --{long}=false"
        )
    return known


def parse_args(args: Sequence[Any], table: FlagTable) -> SubmitArgs:
    """The flags of `table` in `args`; ManifestError for anything else."""
    out = SubmitArgs()
    words = [str(a) for a in args]
    i = 0
    while i < len(words):
        arg = words[i]
        i += 1
        if arg == "--":
            if i < len(words):
                raise _unsupported(words[i], table)
            break
        if not arg.startswith("-") or arg == "-":
            raise _unsupported(arg, table)
        long, value = _flag(arg, table)
        if long in table.switches:
            out.values[long] = _switch(long, value)
            continue
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


def parse_submit_args(args: Sequence[Any]) -> SubmitArgs:
    """The supported `argo submit` flags in `args`; ManifestError for anything else."""
    return parse_args(args, SUBMIT)


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


def argument_pairs(pairs: list[str]) -> dict[str, str]:
    """The `-p NAME=VALUE` values of a trigger's args as a dict; a ManifestError naming the flag for others."""
    return parameter_pairs(pairs, where=f"{_WHERE} (-p/--parameter)", fix="write -p NAME=VALUE")


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
        override_parameters(spec, argument_pairs(parsed.parameters))
    if "generate-name" in values:
        meta["generateName"] = values["generate-name"]
    if "name" in values:
        meta["name"] = values["name"]
    return wf
