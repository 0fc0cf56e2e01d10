"""Rendering the definitions into `manifests/`: see `sluicegate.render._render`."""

from __future__ import annotations

from sluicegate.render._namespace import SOURCE_NAMESPACE, relocate
from sluicegate.render._render import (
    HEADER,
    RenderedFile,
    RenderReport,
    Status,
    collect,
    dump,
    file_name,
    render,
    write_manifests,
)

__all__ = [
    "HEADER",
    "SOURCE_NAMESPACE",
    "RenderReport",
    "RenderedFile",
    "Status",
    "collect",
    "dump",
    "file_name",
    "relocate",
    "render",
    "write_manifests",
]
