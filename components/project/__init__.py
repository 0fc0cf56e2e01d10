"""A model repository as Sluicegate reads it: an MLflow Project (`MLproject`) plus `sluicegate.yaml`.

Imported by the step components (train, build, evaluate, stress-test), by `sluice lint`, `sluice init` and
the docs' JSON schema. Nothing here loads MLflow, so every check answers at once with one line naming the
file, the key and the fix (`components._common.UserError`).
"""

from components.project._check import check_project
from components.project._config import (
    CONFIG_FILE,
    DEFAULT_METRICS,
    METRIC_DIRECTIONS,
    CanaryConfig,
    EnvironmentConfig,
    EvaluationConfig,
    ProjectConfig,
    PromotionConfig,
    StressTestConfig,
    TrainConfig,
    load_config,
)
from components.project._envspec import EnvSpec, PythonEnvFile, resolve_env
from components.project._mlproject import (
    MLPROJECT_FILE,
    PARAMETER_TYPES,
    DockerEnv,
    EntryPoint,
    MLProject,
    Parameter,
    find_mlproject,
    load_mlproject,
)
from components.project._schema import config_schema, schema_text

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_METRICS",
    "METRIC_DIRECTIONS",
    "MLPROJECT_FILE",
    "PARAMETER_TYPES",
    "CanaryConfig",
    "DockerEnv",
    "EntryPoint",
    "EnvSpec",
    "EnvironmentConfig",
    "EvaluationConfig",
    "MLProject",
    "Parameter",
    "ProjectConfig",
    "PromotionConfig",
    "PythonEnvFile",
    "StressTestConfig",
    "TrainConfig",
    "check_project",
    "config_schema",
    "find_mlproject",
    "load_config",
    "load_mlproject",
    "resolve_env",
    "schema_text",
]
