"""The one tokenizer of the expression dialects: a text and a dialect's token pattern in, `(kind, text)` out.

Called by the two parsers of `sluicegate.lang`: the expression parser (`_parser`: expr-lang, Argo Rollouts
conditions, govaluate) and the actions of Go templates (`_gotemplate`). Each dialect passes its own
pattern of named groups (`num`, `str`, `name`, `op`, ...); the group that matched is the token's kind.
Whitespace before a token is skipped by the pattern.
"""

from __future__ import annotations

import re

from sluicegate.errors import ExprError

__all__ = ["Token", "tokenize"]

#: (kind, text): the name of the pattern group that matched, and the text it matched.
Token = tuple[str, str]


def tokenize(text: str, pattern: re.Pattern[str], *, end: bool = True) -> list[Token]:
    """The tokens of `text` under `pattern`, with a final `("end", "")` when `end`; ExprError at a bad character."""
    tokens: list[Token] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = pattern.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].strip()[:1]
            raise ExprError(f"unexpected character {bad!r} at {pos} in {text!r}", fix="check the syntax")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    if end:
        tokens.append(("end", ""))
    return tokens
