"""The schema of a model project's `params.yaml`, and how CLI overrides are merged into it.

Called by `components.train` (and its tests). Every validation error becomes one line naming the
source (`params.yaml` or `--set KEY`), the key, the accepted range or type, and the offending value.

```yaml
dataset: breast_cancer          # breast_cancer | wine | digits
seed: 42
test_size: 0.25
model:
  type: logistic_regression     # logistic_regression | random_forest | gradient_boosting
  C: 1.0
  max_iter: 500
fault:                          # optional: a deliberately bad model for demos (see components/train/_fault.py)
  error_rate: 0.5               # share of prediction calls that raise RuntimeError("injected fault")
  latency_ms: 0                 # extra latency added to every prediction call
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from components._common import DATASETS, UserError

__all__ = [
    "FaultParams",
    "GradientBoostingParams",
    "LogisticRegressionParams",
    "ModelParams",
    "RandomForestParams",
    "TrainParams",
    "apply_overrides",
    "load_params",
    "validate_model_name",
]

# the model name is also the name of its Argo Rollout and Services, so it must be a DNS-1123 label
_MODEL_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LogisticRegressionParams(_Strict):
    """A logistic regression behind a `StandardScaler`."""

    type: Literal["logistic_regression"]
    C: float = Field(1.0, gt=0, le=1e6, description="inverse regularisation strength")
    max_iter: int = Field(500, ge=10, le=100_000)
    class_weight: Literal["balanced"] | None = None


class RandomForestParams(_Strict):
    """A random forest."""

    type: Literal["random_forest"]
    n_estimators: int = Field(100, ge=1, le=2000)
    max_depth: int | None = Field(None, ge=1, le=200)
    min_samples_leaf: int = Field(1, ge=1, le=10_000)
    max_features: Literal["sqrt", "log2"] | Annotated[float, Field(gt=0, le=1)] = "sqrt"


class GradientBoostingParams(_Strict):
    """A histogram gradient-boosting classifier."""

    type: Literal["gradient_boosting"]
    learning_rate: float = Field(0.1, gt=0, le=1)
    max_iter: int = Field(100, ge=1, le=5000)
    max_depth: int | None = Field(None, ge=1, le=200)
    max_leaf_nodes: int = Field(31, ge=2, le=10_000)


ModelParams = Annotated[
    LogisticRegressionParams | RandomForestParams | GradientBoostingParams, Field(discriminator="type")
]

_MODEL_CLASSES: dict[str, type[_Strict]] = {
    "logistic_regression": LogisticRegressionParams,
    "random_forest": RandomForestParams,
    "gradient_boosting": GradientBoostingParams,
}


class FaultParams(_Strict):
    """A deliberately bad model: predictions that fail on a share of calls, or are slow."""

    error_rate: float = Field(0.0, ge=0, le=1, description="share of prediction calls that raise")
    latency_ms: float = Field(0.0, ge=0, le=60_000, description="added to every prediction call")
    after_seconds: float = Field(0.0, ge=0, le=86_400, description="seconds after loading before the fault starts")


class TrainParams(_Strict):
    """Everything that decides which model a training run produces."""

    dataset: Literal["breast_cancer", "wine", "digits"] = "breast_cancer"
    seed: int = Field(42, ge=0, le=2**32 - 1)
    test_size: float = Field(0.25, gt=0.05, lt=0.9)
    model: ModelParams = Field(default_factory=lambda: LogisticRegressionParams(type="logistic_regression"))
    fault: FaultParams | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_model_type(cls, data: Any) -> Any:
        # `model: {C: 0.5}` (or `--set model.C=0.5` alone) means the default model type
        if isinstance(data, dict) and isinstance(data.get("model"), dict) and "type" not in data["model"]:
            data = {**data, "model": {"type": "logistic_regression", **data["model"]}}
        return data

    def flat(self) -> dict[str, str]:
        """The parameters as flat `a.b` keys with string values, as logged to MLflow (unset ones left out)."""
        out: dict[str, str] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(f"{prefix}.{k}" if prefix else k, v)
            elif value is not None:
                out[prefix] = str(value)

        walk("", self.model_dump())
        return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as e:
        raise UserError(
            f"cannot read --params-file {path}: {e.strerror or e}", fix="pass the model's params.yaml"
        ) from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"{where}: not valid YAML ({problem})", fix="fix the syntax") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(
            f"{path}: the top level is a {type(data).__name__}, not a mapping",
            fix="write keys such as `model:`, `dataset:`, `seed:`",
        )
    return data


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> tuple[dict[str, Any], set[str]]:
    """Merge `KEY=VALUE` overrides (dotted keys, YAML values) into a copy of `data`.

    An empty VALUE means "no override", so a workflow can always pass `--set model.C={{inputs.parameters.C}}`
    with an empty default. Returns the merged data and the set of keys that were overridden.

    Raises:
        UserError: an override without `=`.
    """
    merged: dict[str, Any] = yaml.safe_load(yaml.safe_dump(data)) or {}
    touched: set[str] = set()
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--set {item!r} is not KEY=VALUE", fix="e.g. --set model.C=0.5")
        if raw.strip() == "":
            continue
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        node = merged
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = value
        touched.add(key)
    return merged, touched


def _describe(error: dict[str, Any], data: dict[str, Any], source: Path | None, touched: set[str]) -> str:
    loc = [str(p) for p in error["loc"]]
    # a discriminated union puts the tag into the path: model.logistic_regression.C -> model.C
    if len(loc) >= 2 and loc[0] == "model" and loc[1] in _MODEL_CLASSES:
        loc.pop(1)
    union_tag = error["type"] in ("union_tag_invalid", "union_tag_not_found")
    if union_tag:
        loc.append("type")
    key = ".".join(p for p in loc if not p.isdigit() and not p.startswith(("literal[", "float", "int")))
    origin = f"--set {key}" if key in touched else (f"{source}: {key}" if source else key)
    got = error.get("input")
    if error["type"] == "extra_forbidden":
        accepted = _accepted_keys(loc[:-1], data)
        return f"{origin}: unknown key; accepted keys here: {', '.join(accepted)}"
    if union_tag:
        shown = got.get("type") if isinstance(got, dict) else got
        return f"{origin}: must be one of {', '.join(_MODEL_CLASSES)} (got {shown!r})"
    shown = "" if isinstance(got, dict) else f" (got {got!r})"
    return f"{origin}: {error['msg'][0].lower()}{error['msg'][1:]}{shown}"


def _accepted_keys(parent: list[str], data: dict[str, Any]) -> list[str]:
    if parent == ["model"]:
        model = data.get("model")
        cls = _MODEL_CLASSES.get(model.get("type", "logistic_regression")) if isinstance(model, dict) else None
        return sorted(cls.model_fields) if cls else ["type"]
    if parent == ["fault"]:
        return sorted(FaultParams.model_fields)
    return sorted(TrainParams.model_fields)


def load_params(path: Path | None, overrides: list[str] | None = None, dataset: str | None = None) -> TrainParams:
    """Read and validate `params.yaml` (absent file: all defaults) with `--set` and `--dataset` overrides.

    Args:
        path: the model project's params file, or None for defaults.
        overrides: `KEY=VALUE` strings (dotted keys), applied after the file.
        dataset: when not empty, replaces the file's `dataset`.

    Raises:
        UserError: unreadable or malformed file, unknown key, or a value out of its accepted range.
    """
    data = _read_yaml(path) if path is not None else {}
    items = list(overrides or [])
    if dataset:
        if dataset not in DATASETS:
            raise UserError(f"unknown dataset {dataset!r} (--dataset)", fix=f"accepted values: {', '.join(DATASETS)}")
        items.append(f"dataset={dataset}")
    data, touched = apply_overrides(data, items)
    try:
        return TrainParams.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        raise UserError(
            _describe(dict(first), data, path, touched), fix="see components/sample_project/README.md"
        ) from e


def validate_model_name(name: str) -> str:
    """Return `name` if it is a valid model (and Rollout) name.

    Raises:
        UserError: not a DNS-1123 label.
    """
    if not _MODEL_NAME.match(name):
        raise UserError(
            f"--model-name {name!r} is not a valid name",
            fix="use lowercase letters, digits and '-', 1-63 characters, e.g. breast-cancer",
        )
    return name
