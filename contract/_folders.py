"""Where Sluicegate keeps what every stack of a machine shares: its cache folder and the built environments.

Imported through `contract` by the runtime (the MLflow schema cache, the local engine's environments) and by
the step code (the model server, which builds a model's environment where the stack keeps them), so both
find the same folders from the same environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_DIR_ENV", "ENVS_DIR_ENV", "cache_dir", "envs_dir"]

#: Sluicegate's cache folder, when set; else `$XDG_CACHE_HOME/sluicegate`, else `~/.cache/sluicegate`.
CACHE_DIR_ENV = "SLUICE_CACHE_DIR"
#: The folder of built environments, when set; else `envs` in the cache folder. The local engine gives every
#: step the folder it uses under this name.
ENVS_DIR_ENV = "SLUICE_ENVS_DIR"


def cache_dir() -> Path:
    """The folder of Sluicegate's caches (`SLUICE_CACHE_DIR`, `$XDG_CACHE_HOME/sluicegate`, `~/.cache/sluicegate`)."""
    given = os.environ.get(CACHE_DIR_ENV)
    if given:
        return Path(given).absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "sluicegate"


def envs_dir() -> Path:
    """The built environments every stack of the machine shares (`SLUICE_ENVS_DIR`, else `cache_dir()/envs`).

    Sharing is safe: an environment is named by the hash of its spec and never changed once built.
    """
    given = os.environ.get(ENVS_DIR_ENV)
    return Path(given).absolute() if given else cache_dir() / "envs"
