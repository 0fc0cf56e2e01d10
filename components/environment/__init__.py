"""The `build-env` step: a model project's Python environment, as a local uv venv or a Kaniko build context.

Called by the `build-env` WorkflowTemplate (`python -m components.environment ...`), by the train step's
tests and by the benchmark. The image name it outputs (`sluicegate.local/envs/<model>@sha256:<hash>`
locally) is what the engine's image policy resolves to the environment folder.
"""

from components.environment._build import MARKER, BuiltEnv, ensure_env, uv_binary
from components.environment._context import LOCAL_REGISTRY, build_context, local_image
from components.environment._dockerfile import DEFAULT_PYTHON, dockerfile
from components.environment._python import Interpreter, find_python, stack_python

__all__ = [
    "DEFAULT_PYTHON",
    "LOCAL_REGISTRY",
    "MARKER",
    "BuiltEnv",
    "Interpreter",
    "build_context",
    "dockerfile",
    "ensure_env",
    "find_python",
    "local_image",
    "stack_python",
    "uv_binary",
]
