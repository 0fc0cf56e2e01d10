"""Shared building blocks of the WorkflowTemplates: image, pod hardening, resources, retries, outputs.

Called by every template module of `workflows/` while it builds its Hera objects. Everything a step
pod needs is set on the template itself (not only on the WorkflowSpec), because Argo does not carry a
WorkflowTemplate's spec-level settings (volumes, securityContext, serviceAccountName) into a workflow that
reaches the template through `templateRef`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hera.workflows import (
    Artifact,
    Container,
    EmptyDirVolume,
    Env,
    GitArtifact,
    Parameter,
    Resources,
    RetryStrategy,
    SecretEnv,
)
from hera.workflows import models as m

from contract import COMPONENTS_IMAGE_ENV, DEFAULT_COMPONENTS_IMAGE, NAMESPACE, components_image

__all__ = [
    "COMPONENTS_IMAGE_ENV",
    "DEFAULTS",
    "DEFAULT_COMPONENTS_IMAGE",
    "MLFLOW_AUTH_SECRET",
    "NAMESPACE",
    "OUTPUTS_DIR",
    "RECORD_IMAGE",
    "SERVICE_ACCOUNT",
    "SOURCE_DIR",
    "TERMINATION_LOG",
    "Sizing",
    "component_command",
    "component_container",
    "components_image",
    "container_security",
    "input_value",
    "mlflow_auth_env",
    "output_parameter",
    "params",
    "pod_security",
    "retry",
    "source_artifact",
    "step_pod",
    "termination",
    "termination_env",
    "tmp_volume",
]

#: The pipeline's ServiceAccount (rendered by `workflows.rbac` with the least privileges the steps need).
SERVICE_ACCOUNT = "sluicegate-pipeline"
#: Where the `git` input artifact is checked out.
SOURCE_DIR = "/tmp/src"
#: Where components write their Argo output parameters, one file per output.
OUTPUTS_DIR = "/tmp/outputs"
#: Image of the exit handler: a stock Python, which the local engine maps to a host Python.
RECORD_IMAGE = "python:3.12-alpine"
#: The file a container's last words go to (Kubernetes' default `terminationMessagePath`); Argo ends a failed
#: step's node message with them.
TERMINATION_LOG = "/dev/termination-log"
#: Same variable as `components._common.TERMINATION_LOG_ENV`: where a component writes its one-line reason.
TERMINATION_LOG_ENV = "SLUICE_TERMINATION_LOG"
#: Secret with the MLflow user steps sign in as (keys `username`, `password`); `sluice up` creates it for
#: its own MLflow. Optional: an MLflow without authentication needs none.
MLFLOW_AUTH_SECRET = "mlflow-auth"


#: Default value of every pipeline parameter, by name; None means the parameter is required.
DEFAULTS: dict[str, str | None] = {
    "git-repo": "https://github.com/sluicegate/example-model.git",
    "git-revision": "main",
    "model-name": "breast-cancer",
    "model-version": None,  # which version to evaluate, build or deploy is never a guess
    # Overrides the params file's `dataset`, so that train, evaluate and stress-test agree on the rows.
    "dataset": "breast_cancer",
    "params-file": "params.yaml",
    # Hyperparameter overrides of the params file; empty means "as the params file says".
    "model-type": "",
    "C": "",
    "n-estimators": "",
    "max-depth": "",
    "seed": "",
    "mlflow-tracking-uri": "http://mlflow.sluicegate.svc:5000",
    # A model project (MLproject + sluicegate.yaml): empty model name and entry point mean sluicegate.yaml's.
    "project-model-name": "",
    "entry-point": "",
    # Where the cluster's Kaniko pushes model projects' environment images (build-target=cluster).
    "env-registry": "registry.sluicegate.svc:5000/sluicegate",
    "min-improvement": "0.005",
    "p99-latency-ms": "250",
    "max-error-rate": "0.01",
    "target-rps": "20",
    "stress-duration-seconds": "30",
    # The canary analysis of the model's Rollout (a model project's sluicegate.yaml `canary` block).
    "canary-min-success-rate": "0.99",
    "canary-max-p99-latency-ms": "250",
    "canary-pause": "30s",
    "canary-interval": "30s",
    "canary-count": "3",
    "canary-window": "1m",
    # The rows the canary's stress-test analysis sends, base64 `dataframe_split` (evaluate-project's output);
    # empty: the rows of the bundled `dataset`.
    "stress-rows": "",
    "build-target": "cluster",
    # Empty means the stress-test step serves the candidate version itself and loads that; set it to load a
    # running service instead (e.g. `http://<model-name>-canary.sluicegate.svc`).
    "service-url": "",
}


def params(*names: str) -> tuple[tuple[str, str | None], ...]:
    """`(name, default)` pairs of the named pipeline parameters, in the order given."""
    return tuple((name, DEFAULTS[name]) for name in names)


@dataclass(frozen=True)
class Sizing:
    """Requests, limits, scratch space and deadline of one step."""

    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    scratch: str
    deadline_seconds: int

    @property
    def deadline(self) -> str:
        """The template's `activeDeadlineSeconds`, an IntOrString that Argo's JSON schema types `string`."""
        return str(self.deadline_seconds)

    def resources(self) -> Resources:
        """The container's requests and limits."""
        return Resources(
            cpu_request=self.cpu_request,
            cpu_limit=self.cpu_limit,
            memory_request=self.memory_request,
            memory_limit=self.memory_limit,
        )


def mlflow_auth_env() -> list[SecretEnv]:
    """`MLFLOW_TRACKING_USERNAME` / `_PASSWORD` from Secret `mlflow-auth`, as every MLflow client reads them."""
    return [
        SecretEnv(name=f"MLFLOW_TRACKING_{key.upper()}", secret_name=MLFLOW_AUTH_SECRET, secret_key=key, optional=True)
        for key in ("username", "password")
    ]


def component_command(module: str) -> list[str]:
    """`python -m components.<module>`: how every step starts its component."""
    return ["python", "-m", f"components.{module}"]


def termination() -> dict[str, str]:
    """A container's termination message settings: our file, else (a crash, user code) the tail of its log.

    Passed as keyword arguments to Hera's `Container`/`Script`.
    """
    return {"termination_message_path": TERMINATION_LOG, "termination_message_policy": "FallbackToLogsOnError"}


def termination_env() -> list[Env]:
    """The variable telling a component where its termination message file is."""
    return [Env(name=TERMINATION_LOG_ENV, value=TERMINATION_LOG)]


def output_parameter(name: str) -> Parameter:
    """An output parameter read from the file the component writes under `/tmp/outputs`."""
    return Parameter(name=name, value_from=m.ValueFrom(path=f"{OUTPUTS_DIR}/{name}"))


def tmp_volume(scratch: str) -> EmptyDirVolume:
    """The writable `/tmp` of a step (the root filesystem is read-only)."""
    return EmptyDirVolume(name="tmp", mount_path="/tmp", size_limit=m.Quantity(scratch))


def pod_security() -> m.PodSecurityContext:
    """Pod-level hardening: a fixed non-root user and the runtime's default seccomp profile."""
    return m.PodSecurityContext(
        run_as_non_root=True,
        run_as_user=1000,
        run_as_group=1000,
        fs_group=1000,
        seccomp_profile=m.SeccompProfile(type="RuntimeDefault"),
    )


def container_security() -> m.SecurityContext:
    """Container-level hardening: read-only root filesystem, no privilege escalation, no capabilities."""
    return m.SecurityContext(
        run_as_non_root=True,
        read_only_root_filesystem=True,
        allow_privilege_escalation=False,
        capabilities=m.Capabilities(drop=["ALL"]),
    )


def retry(limit: int) -> RetryStrategy:
    """Retry only what the infrastructure broke (`OnError`: evicted pod, lost node), with backoff.

    A component that exits non-zero made a decision (bad hyperparameter, missed gate); running it again
    would give the same answer, so `OnFailure` is deliberately not used.
    """
    # IntOrString fields are written as strings: Argo's published JSON schema types them `string`.
    return RetryStrategy(
        limit=str(limit),
        retry_policy="OnError",
        backoff=m.Backoff(duration="10s", factor="2", max_duration="5m"),
    )


def step_pod(sizing: Sizing, retries: int) -> dict[str, Any]:
    """What every step's pod is given: `/tmp`, resources, deadline, hardening, ServiceAccount and retries.

    Passed as keyword arguments to Hera's `Container`/`Script`.
    """
    return {
        "volumes": [tmp_volume(sizing.scratch)],
        "resources": sizing.resources(),
        "security_context": container_security(),
        "pod_security_context": pod_security(),
        "service_account_name": SERVICE_ACCOUNT,
        "active_deadline_seconds": sizing.deadline,
        "retry_strategy": retry(retries),
    }


def source_artifact() -> GitArtifact:
    """Input artifact `source`: the model project at `git-repo`/`git-revision`, checked out at `SOURCE_DIR`."""
    return GitArtifact(
        name="source",
        path=SOURCE_DIR,
        repo=input_value("git-repo"),
        revision=input_value("git-revision"),
    )


def input_value(name: str) -> str:
    """`{{inputs.parameters.<name>}}`: the value a template's input parameter takes."""
    return f"{{{{inputs.parameters.{name}}}}}"


def component_container(
    name: str,
    module: str,
    args: Sequence[str],
    *,
    inputs: Sequence[Parameter | Artifact],
    outputs: Sequence[Parameter | Artifact],
    sizing: Sizing,
    retries: int,
    annotations: dict[str, str] | None = None,
) -> Container:
    """Template `name`: `python -m components.<module> <args>` in the components image.

    The step signs in to MLflow (`mlflow_auth_env`), says why it failed in its termination message, and runs
    in `step_pod(sizing, retries)`. `args` are passed as given, so the caller ends them with `--outputs-dir`
    where the component writes output parameters.
    """
    return Container(
        name=name,
        annotations=annotations,
        image=components_image(),
        command=component_command(module),
        args=list(args),
        inputs=list(inputs),
        outputs=list(outputs),
        env=[*mlflow_auth_env(), *termination_env()],
        **step_pod(sizing, retries),
        **termination(),  # type: ignore[arg-type]
    )
