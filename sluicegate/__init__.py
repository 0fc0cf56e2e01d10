"""Sluicegate: from git push to production traffic on Argo, on one machine or a cluster.

The runtime package: the `sluice` CLI, rendering and linting of the definitions, and the embedded
Argo-compatible stack (object store, API, controllers). Definitions live in the top-level packages
`workflows`, `events` and `rollouts`; step code lives in `components`.
"""

from sluicegate.errors import SluiceError

__all__ = ["SluiceError", "__version__"]

__version__ = "0.1.0"
