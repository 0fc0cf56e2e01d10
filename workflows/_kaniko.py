"""The `build-image` template of `train-project`: Kaniko builds and pushes a model project's environment image.

Called by `workflows.train_project` (on the cluster target only: the task's `when` reads build-env's
`build` output, so the local stack never runs it). The context is build-env's output artifact `context`
(a generated Dockerfile + the project's requirements); the destination is the image build-env named,
`<env-registry>/<model>-env:<spec hash>`. Kaniko caches layers in `<that repository>/cache` and builds
reproducibly, so an unchanged environment rebuilds from the cache into the same digest.

Registry credentials: the Secret `env-registry-credentials` (type `kubernetes.io/dockerconfigjson`) as
Kaniko's `/kaniko/.docker/config.json`. It is optional: without it Kaniko uses its built-in credential
helpers (GKE Workload Identity, EKS Pod Identity/IRSA of the pipeline's ServiceAccount).

Kaniko unpacks the base image over its own root filesystem, so this one step runs as root with a writable
root (no privilege escalation, no privileged mode, the runtime's default capabilities: Pod Security
`baseline` admits it). It runs no user code: only the generated Dockerfile's `pip install`.
"""

from __future__ import annotations

from hera.workflows import Artifact, Container, EmptyDirVolume, Parameter, SecretVolume
from hera.workflows import models as m

from workflows._common import SERVICE_ACCOUNT, Sizing, retry

__all__ = ["KANIKO_IMAGE", "REGISTRY_SECRET", "build_image"]

#: The Kaniko executor (pinned; the image has no shell, only /kaniko/executor).
KANIKO_IMAGE = "gcr.io/kaniko-project/executor:v1.23.2"
#: The Secret with the registry credentials Kaniko pushes with (`.dockerconfigjson`), optional.
REGISTRY_SECRET = "env-registry-credentials"
CONTEXT = "/workspace/context"
SIZING = Sizing(
    cpu_request="500m",
    cpu_limit="2",
    memory_request="1Gi",
    memory_limit="4Gi",
    scratch="8Gi",
    deadline_seconds=3600,
)


def build_image() -> Container:
    """The `build-image` template (registered in the surrounding WorkflowTemplate context)."""
    return Container(
        name="build-image",
        image=KANIKO_IMAGE,
        command=["/kaniko/executor"],
        args=[
            f"--context=dir://{CONTEXT}",
            "--dockerfile=Dockerfile",
            "--destination={{inputs.parameters.image}}",
            "--cache=true",
            "--reproducible",
            "--single-snapshot",
        ],
        inputs=[Parameter(name="image"), Artifact(name="context", path=CONTEXT)],
        volumes=[
            EmptyDirVolume(name="workspace", mount_path="/workspace", size_limit=m.Quantity(SIZING.scratch)),
            SecretVolume(
                name="registry-credentials",
                secret_name=REGISTRY_SECRET,
                optional=True,
                items=[m.KeyToPath(key=".dockerconfigjson", path="config.json")],
                mount_path="/kaniko/.docker",
            ),
        ],
        resources=SIZING.resources(),
        security_context=m.SecurityContext(
            run_as_user=0,
            run_as_non_root=False,
            allow_privilege_escalation=False,
            privileged=False,
            seccomp_profile=m.SeccompProfile(type="RuntimeDefault"),
        ),
        service_account_name=SERVICE_ACCOUNT,
        active_deadline_seconds=SIZING.deadline,
        retry_strategy=retry(2),
    )
