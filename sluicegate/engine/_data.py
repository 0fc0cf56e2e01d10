"""Data templates: list the artifact repository's paths, then transform the list with expressions, as Argo.

Called by `_executor` in a worker thread (Argo runs `argoexec data` in a pod; nothing of the user's runs,
so no process is started here). The source `artifactPaths` names an artifact whose `s3.key` is a prefix in
the stack's artifact repository: every file below it is listed by its key (`prefix/sub/file`), sorted, as
Argo's S3 driver lists objects. Each `transformation[].expression` is an expr-lang expression over `data`
(e.g. `filter(data, {# endsWith ".pdf"})`), applied in order. The final value, as compact JSON, is the
node's `outputs.result`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sluicegate.engine._jobs import Job, Result
from sluicegate.errors import SluiceError
from sluicegate.lang import ExprError, evaluate
from sluicegate.names import under

__all__ = ["run_data"]


def _artifact_paths(repo: Path, art: dict[str, Any]) -> list[str]:
    """The keys below an artifact's `s3.key` in the repository (the whole repository without a key)."""
    if "s3" not in art:
        kinds = [k for k in ("gcs", "git", "http", "azure", "oss", "hdfs", "artifactory", "raw") if k in art]
        raise SluiceError(
            f"artifactPaths from {kinds[0] if kinds else 'this artifact'} are not supported locally",
            where="data.source.artifactPaths",
            fix="use an s3 artifact (the stack's artifact repository) with the key prefix to list",
        )
    prefix = str((art.get("s3") or {}).get("key") or "").strip("/")
    base = under(repo, prefix, what="data.source.artifactPaths.s3.key") if prefix else repo.resolve()
    if base.is_file():
        return [prefix]
    if not base.is_dir():
        return []
    root = repo.resolve()
    return sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file())


def run_data(job: Job, repo: Path) -> Result:
    """Source, transform and report the data of a `data` template."""
    spec = job.template.get("data") or {}
    source = spec.get("source") or {}
    if "artifactPaths" not in source:
        return Result(job.key, "Error", "unable to process data source: no valid source is used for data template")
    try:
        data: Any = _artifact_paths(repo, dict(source["artifactPaths"] or {}))
    except SluiceError as e:
        return Result(job.key, "Error", f"unable to source artifact paths: {e.message}")
    for i, step in enumerate(spec.get("transformation") or []):
        expression = str((step or {}).get("expression") or "")
        if not expression:
            continue
        try:
            data = evaluate(expression, {"data": data})
        except ExprError as e:
            return Result(
                job.key, "Error", f"unable to process data transformation: error processing data step {i}: {e}"
            )
    return Result(job.key, "Succeeded", outputs={"result": json.dumps(data, separators=(",", ":"))})
