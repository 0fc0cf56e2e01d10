"""Argo output parameters as files: one file per output, named exactly as the output, in `--outputs-dir`.

Called by every component at the end of a successful step (and by stress-test also when a gate failed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components._common._cli import UserError

__all__ = ["DEFAULT_OUTPUTS_DIR", "write_outputs"]

DEFAULT_OUTPUTS_DIR = Path("/tmp/outputs")


def write_outputs(outputs_dir: Path, values: Mapping[str, Any]) -> None:
    """Write each value to `outputs_dir/<name>`; dicts and lists as compact JSON, the rest as `str()`.

    Raises:
        UserError: the folder cannot be created or written.
    """
    try:
        outputs_dir.mkdir(parents=True, exist_ok=True)
        for name, value in values.items():
            text = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)
            (outputs_dir / name).write_text(text)
    except OSError as e:
        raise UserError(
            f"cannot write outputs to --outputs-dir {outputs_dir}: {e.strerror or e}",
            fix="pass a writable folder",
        ) from e
