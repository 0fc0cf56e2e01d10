"""The names the pieces of Sluicegate agree on, in one dependency-free place.

Imported by the definitions (`workflows`, `events`, `rollouts`), the runtime (`sluicegate`) and the step
code (`components`); imports nothing but the standard library, so each of them may use it (an
import-linter contract keeps it so). What is here is what two pieces must spell the same way: the
namespace the definitions render into, the components image, the annotations and labels one piece writes
and another reads, the MLflow model URI (`ModelUri`), parsed once, and the folders every stack of a
machine shares (`_folders`: the cache folder, the built environments).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from contract._folders import CACHE_DIR_ENV, ENVS_DIR_ENV, cache_dir, envs_dir

__all__ = [
    "BUILDS_ENVIRONMENTS_ANNOTATION",
    "CACHE_DIR_ENV",
    "COMPONENTS_IMAGE_ENV",
    "DEFAULT_COMPONENTS_IMAGE",
    "DEPLOYED_BY_WORKFLOW_ANNOTATION",
    "ENVS_DIR_ENV",
    "MODEL_NAME_ANNOTATION",
    "MODEL_URI_ANNOTATION",
    "MODEL_VERSION_ANNOTATION",
    "NAMESPACE",
    "PART_OF",
    "PART_OF_LABEL",
    "REVISION_ANNOTATION",
    "SENDER_SECRETS",
    "ModelUri",
    "cache_dir",
    "components_image",
    "envs_dir",
]

#: The namespace the definitions render into (`sluice render --namespace` rewrites it).
NAMESPACE = "sluicegate"

#: The environment variable that names the components image, and the image used when it is not set.
COMPONENTS_IMAGE_ENV = "SLUICE_COMPONENTS_IMAGE"
DEFAULT_COMPONENTS_IMAGE = "ghcr.io/sluicegate/components:0.1.0"

#: The pod-template annotation of a model's Rollout that names the model version it serves (the deploy step
#: patches it; the rollout controller and the model server read it).
MODEL_URI_ANNOTATION = "sluicegate.io/model-uri"
#: Annotations of the Rollout object itself (not its pod template, so they start no canary): the lineage back
#: to the model version and the workflow that deployed it.
MODEL_NAME_ANNOTATION = "sluicegate.io/model-name"
MODEL_VERSION_ANNOTATION = "sluicegate.io/model-version"
DEPLOYED_BY_WORKFLOW_ANNOTATION = "sluicegate.io/deployed-by-workflow"
#: The Rollout's current revision, as Argo Rollouts' controller annotates it (the local one writes it too; the
#: deploy step reads it and tags the model version with it).
REVISION_ANNOTATION = "rollout.argoproj.io/revision"
#: Set to "true" on a template that builds environments (the engine lets only those build).
BUILDS_ENVIRONMENTS_ANNOTATION = "sluicegate.io/builds-environments"

#: The label every object of the project carries.

#: Secrets that authenticate senders to the stack's own event sources (GitHub's webhook HMAC, the MLflow relay's
#: webhook HMAC and its token for the mlflow EventSource). Whoever holds one can forge pushes or model events,
#: which start work and change models without the API token, so the engine never hands them to a step.
SENDER_SECRETS = frozenset({"github-webhook", "mlflow-webhook", "mlflow-events-auth"})

PART_OF_LABEL = "app.kubernetes.io/part-of"
PART_OF = {PART_OF_LABEL: "sluicegate"}


def components_image() -> str:
    """The components image name and tag, from `SLUICE_COMPONENTS_IMAGE` or the default."""
    return os.environ.get(COMPONENTS_IMAGE_ENV, DEFAULT_COMPONENTS_IMAGE)


_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]*)(?:/(?P<version>.*)|@(?P<alias>.*))?$", re.DOTALL)


@dataclass(frozen=True)
class ModelUri:
    """An MLflow registry URI: `models:/NAME/VERSION`, `models:/NAME@ALIAS` or `models:/NAME`."""

    name: str
    version: str = ""
    alias: str = ""

    @classmethod
    def parse(cls, uri: str) -> ModelUri | None:
        """The parts of a `models:/` URI, or None for any other URI (`runs:/`, a path, "")."""
        match = _MODELS_URI.match(uri)
        if match is None:
            return None
        return cls(match["name"], match["version"] or "", match["alias"] or "")

    @property
    def numbered(self) -> bool:
        """The URI names one version by its number (`models:/NAME/3`)."""
        return self.version.isdigit()

    def __str__(self) -> str:
        tail = f"/{self.version}" if self.version else (f"@{self.alias}" if self.alias else "")
        return f"models:/{self.name}{tail}"
