"""The `MLproject` file of a model repository, read as `mlflow run` reads it, with one-line errors.

Called by the train step (entry point, parameters, command), by the environment builder (which file
describes the environment) and by `sluice lint`. Follows `mlflow.projects._project_spec`: at most one of
`python_env`, `conda_env`, `docker_env`; without any, `python_env.yaml` then `conda.yaml` at the root are
used; parameters are `NAME: TYPE` or `{type, default}` with types float, int, string, path, uri; an entry
point that is not declared may be a `.py` or `.sh` file. Unlike `mlflow run`, values of float and int
parameters are checked before the command starts.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from components._common import UserError
from components.project._yamlfile import describe_validation_error, read_mapping

__all__ = [
    "MLPROJECT_FILE",
    "PARAMETER_TYPES",
    "DockerEnv",
    "EntryPoint",
    "MLProject",
    "Parameter",
    "find_mlproject",
    "load_mlproject",
]

MLPROJECT_FILE = "MLproject"
PARAMETER_TYPES = ("float", "int", "string", "path", "uri")
_FIX = "see https://mlflow.org/docs/latest/ml/projects/ (MLproject format)"


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Parameter(BaseModel):
    """One entry-point parameter: its type and default (None: the caller must give a value)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["float", "int", "string", "path", "uri"] = "string"
    default: str | int | float | bool | None = None

    def check(self, name: str, value: str, where: str) -> str:
        """`value` as the command gets it, or UserError when it is not of this parameter's type."""
        try:
            if self.type == "float":
                float(value)
            elif self.type == "int":
                int(value)
        except ValueError as e:
            raise UserError(
                f"{where}: parameter {name!r} must be {'a number' if self.type == 'float' else 'an integer'} "
                f"(got {value!r})",
                fix=f"pass e.g. -p {name}={'0.5' if self.type == 'float' else '10'}",
            ) from e
        if self.type == "uri" and "://" not in value and ":/" not in value:
            raise UserError(f"{where}: parameter {name!r} must be a URI (got {value!r})", fix="e.g. s3://bucket/key")
        return value


class EntryPoint(BaseModel):
    """An entry point: a shell command with `{parameter}` placeholders."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str = Field(min_length=1)
    parameters: dict[str, Parameter] = Field(default_factory=dict)

    @field_validator("parameters", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `alpha: float` is MLflow's short form of `alpha: {type: float}`
        if isinstance(value, dict):
            return {k: {"type": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    def command_line(self, given: dict[str, str], where: str) -> str:
        """The command `mlflow run` would run for these parameter values (shell-quoted, extras as `--k v`).

        Raises:
            UserError: a parameter without default has no value, or a value is not of its type.
        """
        values: dict[str, str] = {}
        for name, spec in self.parameters.items():
            if name in given and given[name] != "":
                values[name] = spec.check(name, given[name], where)
            elif spec.default is not None:
                values[name] = str(spec.default)
            else:
                raise UserError(f"{where}: parameter {name!r} has no default and no value", fix=f"pass -p {name}=...")
        extras = {k: v for k, v in given.items() if k not in self.parameters and v != ""}
        try:
            line = self.command.format(**{k: shlex.quote(v) for k, v in values.items()})
        except (KeyError, IndexError, ValueError) as e:
            raise UserError(
                f"{MLPROJECT_FILE}: command {self.command!r} uses placeholder {e} that is not a parameter",
                fix="declare it under parameters or escape braces as {{ }}",
            ) from e
        return " ".join([line, *(f"--{shlex.quote(k)} {shlex.quote(v)}" for k, v in extras.items())])


class DockerEnv(BaseModel):
    """`docker_env`: the step image on a cluster."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str = Field(min_length=1)
    volumes: list[str] = Field(default_factory=list)
    environment: list[str | list[str]] = Field(default_factory=list)


class MLProject(_Doc):
    """The MLproject file (unknown top-level keys are kept, as MLflow ignores them)."""

    name: str | None = None
    entry_points: dict[str, EntryPoint] = Field(default_factory=dict)
    python_env: str | None = None
    conda_env: str | None = None
    docker_env: DockerEnv | None = None

    @model_validator(mode="after")
    def _one_env(self) -> MLProject:
        given = [k for k in ("python_env", "conda_env", "docker_env") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"declares several environments ({', '.join(given)}); keep one")
        return self

    def entry_point(self, name: str, root: Path | None = None) -> EntryPoint:
        """The entry point `name`, or for a `.py`/`.sh` file in the project the command that runs it.

        Raises:
            UserError: naming the entry points there are.
        """
        if name in self.entry_points:
            return self.entry_points[name]
        suffix = Path(name).suffix
        if suffix in (".py", ".sh") and (root is None or (root / name).is_file()):
            return EntryPoint(command=f"{'python' if suffix == '.py' else 'bash'} {shlex.quote(name)}")
        known = ", ".join(sorted(self.entry_points)) or "none"
        raise UserError(
            f"{MLPROJECT_FILE}: entry_points.{name}: no such entry point (declared: {known})",
            fix="set train.entry_point in sluicegate.yaml to one of them, or to a .py/.sh file of the project",
        )


def find_mlproject(root: Path) -> Path | None:
    """The MLproject file at `root` (any capitalisation, as MLflow accepts), or None."""
    if not root.is_dir():
        return None
    for child in sorted(root.iterdir()):
        if child.name.lower() == "mlproject" and child.is_file():
            return child
    return None


def load_mlproject(root: Path) -> MLProject:
    """Read and validate the MLproject file of the project at `root` (none: an empty project, as MLflow).

    Raises:
        UserError: one line naming `MLproject`, the key and the fix.
    """
    path = find_mlproject(root)
    if path is None:
        return MLProject()
    data = read_mapping(path, path.name, fix=_FIX)
    try:
        project = MLProject.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        if not first["loc"]:
            raise UserError(f"{path.name}: {str(first['msg']).removeprefix('Value error, ')}", fix=_FIX) from e
        raise describe_validation_error(e, path.name, _FIX) from e
    for key in ("python_env", "conda_env"):
        file = getattr(project, key)
        if file is not None and (Path(file).is_absolute() or ".." in Path(file).parts):
            raise UserError(f"{path.name}: {key}: {file!r} leaves the project", fix="use a path inside the repository")
        if file is not None and not (root / file).is_file():
            raise UserError(f"{path.name}: {key}: file {file!r} not found in the project", fix="commit it")
    return project
