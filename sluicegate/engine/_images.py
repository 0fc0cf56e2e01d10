"""The image policy: which local runtime stands in for a container image.

Called by `_launchrequest` for every container and script step. Built in: `busybox`, `alpine*`, `debian*`,
`ubuntu*` run on the host shell; `python:*` runs on the host Python (the engine's interpreter, forked warm);
the components image (`sluicegate.config.components_image()`) runs on the project's Python environment.
More mappings come from `SLUICE_HOME/images.yaml` (`images: {"<glob>": shell|python}`) or the environment
variable `SLUICE_IMAGE_MAP` (`glob=runtime,glob=runtime`).

A model project's environment, built by the `build-env` step, is named like an image pinned by digest,
`sluicegate.local/envs/<model>@sha256:<hash>`: `env_for` resolves it to `<hash>` in the environments folder
every stack of the machine shares (`Settings.envs_dir`; the `exec` runtime with that environment's `bin`
first on PATH), refusing one that is missing or half-built.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

import yaml

from sluicegate.config import components_image
from sluicegate.errors import ConfigError

__all__ = ["ENV_MARKER", "RUNTIMES", "base_of", "env_for", "runtime_for"]

RUNTIMES = ("shell", "python")
#: Written last into a finished environment (components.environment); without it, the folder is not used.
ENV_MARKER = "sluicegate-env.json"
_ENV_IMAGE = re.compile(r"^sluicegate\.local/envs/[a-z0-9]([-a-z0-9]*[a-z0-9])?@sha256:([0-9a-f]{64})$")

_BUILTIN = {
    "busybox": "shell",
    "busybox:*": "shell",
    "alpine": "shell",
    "alpine:*": "shell",
    "alpine/*": "shell",
    "debian": "shell",
    "debian:*": "shell",
    "ubuntu": "shell",
    "ubuntu:*": "shell",
    "python": "python",
    "python:*": "python",
}


def _strip_registry(image: str) -> str:
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        if image.startswith(prefix):
            return image[len(prefix) :]
    return image


def _configured(home: Path | None) -> dict[str, str]:
    table: dict[str, str] = {}
    if home is not None and (home / "images.yaml").exists():
        path = home / "images.yaml"
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"unreadable YAML: {e}", where=str(path), fix="fix the file") from e
        table.update({str(k): str(v) for k, v in (loaded.get("images") or {}).items()})
    for pair in filter(None, os.environ.get("SLUICE_IMAGE_MAP", "").split(",")):
        glob, _, runtime = pair.partition("=")
        table[glob.strip()] = runtime.strip()
    return table


def env_for(image: str, envs: Path) -> Path | None:
    """The environment folder under `envs` an env image names, None for any other image; ConfigError if not built."""
    match = _ENV_IMAGE.match(image.strip())
    if match is None:
        return None
    folder = envs / match.group(2)
    if not (folder / ENV_MARKER).is_file():
        raise ConfigError(
            f"environment image {image!r} is not built on this stack",
            where=str(folder),
            fix="run the build-env step of the model pipeline first (its output `image` names the environment)",
        )
    return folder


def base_of(env: Path) -> str:
    """The installation an environment's interpreter comes from (pyvenv.cfg `home` is its `bin`), or ''."""
    try:
        lines = (env / "pyvenv.cfg").read_text().splitlines()
    except OSError:
        return ""
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip():
            return os.path.dirname(os.path.realpath(value.strip()))
    return ""


def runtime_for(image: str, home: Path | None = None) -> str:
    """`shell` or `python` for an image, or ConfigError naming the image and where to map it."""
    name = _strip_registry(image.strip())
    if name == _strip_registry(components_image()) or name.split(":")[0] == components_image().split(":")[0]:
        return "python"
    table = {**_BUILTIN, **_configured(home)}
    for glob, runtime in table.items():
        if fnmatch.fnmatchcase(name, glob):
            if runtime not in RUNTIMES:
                raise ConfigError(
                    f"image {image!r} maps to unknown runtime {runtime!r}",
                    where=f"images.yaml / SLUICE_IMAGE_MAP entry {glob!r}",
                    fix=f"use one of {', '.join(RUNTIMES)}",
                )
            return runtime
    where = f"{home / 'images.yaml'}" if home else "SLUICE_HOME/images.yaml"
    raise ConfigError(
        f"image {image!r} has no local runtime",
        where=where,
        fix=f"map it, e.g. `images: {{{name.split(':')[0]!r}: shell}}` in images.yaml or "
        f"SLUICE_IMAGE_MAP='{name.split(':')[0]}*=python' (runtimes: shell, python)",
    )
