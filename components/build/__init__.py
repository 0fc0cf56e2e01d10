"""The `build` step: a registered model version as a servable bundle (local) or a Kaniko context (cluster).

Called by the `build` WorkflowTemplate (`python -m components.build ...`) and by tests.
"""

from components.build._build import (
    BUNDLE_FORMAT,
    DEFAULT_BASE_IMAGE,
    SERVE_PORT,
    TARGETS,
    BuildResult,
    build,
    dockerfile,
)
from components.build._digest import bundle_digest

__all__ = [
    "BUNDLE_FORMAT",
    "DEFAULT_BASE_IMAGE",
    "SERVE_PORT",
    "TARGETS",
    "BuildResult",
    "build",
    "bundle_digest",
    "dockerfile",
]
