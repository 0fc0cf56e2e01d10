"""Image names of built environments, and the Kaniko build context of the cluster target.

Called by `python -m components.environment`. Locally the "registry" is the environments folder:
`sluicegate.local/envs/<model>@sha256:<spec hash>` names `<spec hash>` in the machine's environments
folder (`$SLUICE_ENVS_DIR`; the engine's image policy, `sluicegate.engine._images`, resolves it). On a
cluster the context is `Dockerfile` and `env-requirements.txt` (requirement files named with `-r` are
already read in), and the image is tagged with the spec hash, so an unchanged environment is the same tag
and the same content.
"""

from __future__ import annotations

from pathlib import Path

from components._common import UserError
from components.environment._dockerfile import dockerfile
from components.project import EnvSpec

__all__ = ["LOCAL_REGISTRY", "build_context", "local_image"]

LOCAL_REGISTRY = "sluicegate.local/envs"


def local_image(model_name: str, digest: str) -> str:
    """The image name the local engine resolves to `<digest>` in the environments folder."""
    return f"{LOCAL_REGISTRY}/{model_name}@sha256:{digest}"


def build_context(spec: EnvSpec, out: Path, *, base_image: str = "") -> Path:
    """Write the Kaniko build context of the environment `spec` into the empty folder `out`."""
    if out.exists() and any(out.iterdir()):
        raise UserError(f"--out {out} is not empty", fix="pass a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    (out / "Dockerfile").write_text(dockerfile(spec, base_image=base_image))
    (out / "env-requirements.txt").write_text(
        "".join(f"{line}\n" for line in (*spec.build_dependencies, *spec.dependencies))
    )
    return out
