"""`sluice lint`: Argo Workflows documents checked like `argo lint`, and more. See `sluicegate.lint._lint`.

`lint_documents(docs)` is the library entry point (the API's lint endpoint uses it); `lint_paths(paths)`
reads YAML files and directories first.
"""

from __future__ import annotations

from sluicegate.lint._lint import TEMPLATE_TYPES, lint_documents, lint_paths
from sluicegate.lint._load import load_paths
from sluicegate.lint._schema import MODELS
from sluicegate.lint._types import LintError, field_path

__all__ = ["MODELS", "TEMPLATE_TYPES", "LintError", "field_path", "lint_documents", "lint_paths", "load_paths"]
