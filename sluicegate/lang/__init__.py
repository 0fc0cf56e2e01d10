"""The languages Argo documents are written in: expressions, templates, JSON paths, durations and times.

Imported by the controllers (`sluicegate.engine`, `sluicegate.eventing`, `sluicegate.rollouts`), and for times by
the store, the API and the CLI; imports
nothing of the runtime but `sluicegate.errors` (an import-linter layer). Every error is an `ExprError`.

- expr-lang of Argo Workflows (`evaluate`, `evaluate_bool`, `identifiers`), with expr's builtins, Argo's
  functions and sprig (`_funcs`);
- Argo Rollouts metric conditions (`evaluate_condition`), a subset of expr-lang with Rollouts' functions;
- govaluate: `when` of Argo Workflows (`evaluate_when`) and Argo Events filters (`evaluate_govaluate`);
- one parser (`_parser`, a `Grammar` per dialect) and one tree walker (`_walker`) under those four;
- Go `text/template` with sprig functions (`render`);
- JSON paths: gjson/sjson (`get_path`, `set_path`, `lookup`) and JSONPath (`jsonpath`);
- durations (`parse_duration`) and Kubernetes times (`utc_now`, `parse_time`, `format_time`, `epoch`);
- one tokenizer (`tokenize`) under every parser;
- the string form of a value (`text_of`), with the two dialects where Argo's languages really print values
  differently as named options: `EXPR` (`to_str`, expr-lang) and `GJSON` (`as_string`, Argo Events).
"""

from __future__ import annotations

from sluicegate.errors import ExprError
from sluicegate.lang._conditions import evaluate_condition
from sluicegate.lang._duration import parse_duration
from sluicegate.lang._expr import evaluate, evaluate_bool, identifiers
from sluicegate.lang._gotemplate import TemplateError, render
from sluicegate.lang._govaluate import evaluate_govaluate, evaluate_when
from sluicegate.lang._lexer import tokenize
from sluicegate.lang._paths import MISSING, get_path, jsonpath, lookup, set_path, split_path
from sluicegate.lang._text import EXPR, GJSON, TextDialect, as_string, text_of, to_str
from sluicegate.lang._time import TIME_FORMAT, epoch, format_time, parse_time, utc_now

__all__ = [
    "EXPR",
    "GJSON",
    "MISSING",
    "TIME_FORMAT",
    "ExprError",
    "TemplateError",
    "TextDialect",
    "as_string",
    "epoch",
    "evaluate",
    "evaluate_bool",
    "evaluate_condition",
    "evaluate_govaluate",
    "evaluate_when",
    "format_time",
    "get_path",
    "identifiers",
    "jsonpath",
    "lookup",
    "parse_duration",
    "parse_time",
    "render",
    "set_path",
    "split_path",
    "text_of",
    "to_str",
    "tokenize",
    "utc_now",
]
