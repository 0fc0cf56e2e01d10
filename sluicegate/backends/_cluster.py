"""The backend of a Kubernetes cluster with Argo installed (`infra/terraform`).

Called by `sluice deploy` (apply) and, with `--server`, by the workflow commands. Manifests are applied
with the `kubernetes` client's server-side apply (field manager `sluicegate`) in dependency order, and a
dry run uses the API server's own `dryRun=All`. Workflows go through a real Argo Server with Hera's
client (`ArgoServer`), the same code as locally. Kubernetes and urllib3 errors are wrapped in one line.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sluicegate.backends._argo import ArgoServer, ViaArgoServer
from sluicegate.backends._base import Applied, ApplyAction
from sluicegate.errors import ConfigError, ManifestError, NotFoundError, ServiceError
from sluicegate.manifests import apply_order, identity

# The kubernetes client takes most of a second of CPU to import: each function imports it when it runs, so
# the commands that never reach a cluster (`sluice get`, `submit`, ... on the local stack) skip it.
if TYPE_CHECKING:
    from kubernetes import client as k8s

__all__ = ["FIELD_MANAGER", "ClusterBackend", "connect", "same_object"]

FIELD_MANAGER = "sluicegate"
_T = TypeVar("_T")
_VOLATILE_METADATA = frozenset({"managedFields", "resourceVersion", "generation", "creationTimestamp", "uid"})


def connect(context: str | None, kubeconfig: str | None = None, timeout: float = 5.0) -> k8s.ApiClient:
    """An API client for `context` that has answered once, or ONE clear error saying why not.

    Args:
        context: a kubeconfig context name; None means the current context.
        kubeconfig: the kubeconfig file; None means KUBECONFIG or ~/.kube/config.
        timeout: seconds to wait for the API server's first answer.
    """
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config
    from kubernetes.config.config_exception import ConfigException
    from urllib3 import Retry

    # The kubernetes package ships no complete type information; its config module is used as untyped on purpose.
    kube_config: Any = k8s_config
    try:
        contexts, current = kube_config.list_kube_config_contexts(config_file=kubeconfig)
    except (ConfigException, OSError) as e:
        raise ConfigError(
            f"no usable kubeconfig ({e})",
            where=kubeconfig or "KUBECONFIG / ~/.kube/config",
            fix="fetch credentials, e.g. `gcloud container clusters get-credentials CLUSTER --region REGION`",
        ) from e
    names = sorted(str(c.get("name")) for c in contexts or [])
    if context is not None and context not in names:
        raise ConfigError(
            f"unknown context {context!r}",
            where="--context",
            fix=f"use one of: {', '.join(names) or '(none)'} (`kubectl config get-contexts`)",
        )
    name = context or str((current or {}).get("name") or "")
    cfg = k8s.Configuration()
    try:
        kube_config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=cfg)
    except (ConfigException, OSError) as e:
        raise ConfigError(f"context {name!r} is unusable ({e})", where="--context", fix="repair the kubeconfig") from e
    # One refused connection is the answer (urllib3's default retries only delay it); redirects still follow.
    cfg.retries = Retry(total=3, connect=0, read=0, redirect=3)
    api = k8s.ApiClient(cfg)
    _guard(name, cfg.host, lambda: k8s.VersionApi(api).get_code(_request_timeout=timeout))
    return api


def _guard(context: str, host: str, fn: Callable[[], _T]) -> _T:
    """Run one Kubernetes call, turning transport and auth failures into one-line SluiceErrors."""
    from kubernetes import client as k8s
    from kubernetes.dynamic import exceptions as dyn_errors
    from urllib3.exceptions import HTTPError as Urllib3Error

    where = f"cluster {context!r} ({host})"
    try:
        return fn()
    except Urllib3Error as e:
        reason = str(getattr(e, "reason", None) or e)
        # urllib3 prefixes the connection object's repr ("<...HTTPSConnection object at 0x..>: ...").
        reason = reason.split(">: ", 1)[-1]
        raise ServiceError(
            f"unreachable ({reason})",
            where=where,
            fix="check the context (`kubectl config get-contexts`) and that the API server is reachable from here",
        ) from e
    except (k8s.ApiException, dyn_errors.DynamicApiError) as e:
        status = getattr(e, "status", None)
        if status in (401, 403):
            raise ConfigError(
                f"not allowed (HTTP {status})", where=where, fix="use a context with rights in the namespace"
            ) from e
        raise ServiceError(f"HTTP {status}: {getattr(e, 'reason', e)}", where=where) from e


def same_object(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether two versions of an object are equal apart from bookkeeping (resourceVersion, managedFields...)."""
    return _comparable(before) == _comparable(after)


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = out.get("metadata")
    if isinstance(meta, Mapping):
        out["metadata"] = {k: v for k, v in meta.items() if k not in _VOLATILE_METADATA}
    return out


class ClusterBackend(ViaArgoServer):
    """A cluster: Kubernetes API for apply/delete, its Argo Server for workflows.

    Args:
        api: a connected API client (`connect`); None for a bare Argo Server (workflow commands only).
        context: the context name, for messages.
        argo: the cluster's Argo Server; needed only for the workflow commands.
    """

    def __init__(self, api: k8s.ApiClient | None, context: str = "", argo: ArgoServer | None = None) -> None:
        self.api = api
        self.context = context
        self._argo = argo
        self._dynamic: Any = None

    @property
    def argo(self) -> ArgoServer:
        """The Argo Server, or a ConfigError saying to pass one."""
        if self._argo is None:
            raise ConfigError(
                "workflow commands on a cluster go through its Argo Server",
                where=f"cluster {self.context!r}",
                fix="pass --server URL --token TOKEN (see `terraform output next_steps`)",
            )
        return self._argo

    def _guard(self, fn: Callable[[], _T]) -> _T:
        if self.api is None:
            raise ConfigError(
                "applying and deleting objects needs the Kubernetes API, not only an Argo Server",
                where="--server",
                fix="use `sluice deploy --context CTX`",
            )
        return _guard(self.context, str(self.api.configuration.host), fn)

    @property
    def dynamic(self) -> Any:
        """The discovery-backed dynamic client (created on first use)."""
        if self._dynamic is None:
            from kubernetes import dynamic

            # untyped on purpose: the kubernetes package ships no complete type information
            dynamic_client: Any = dynamic.DynamicClient
            api = self.api
            self._dynamic = self._guard(lambda: dynamic_client(api))
        return self._dynamic

    def apply(
        self, documents: Sequence[Mapping[str, Any]], namespace: str | None = None, dry_run: bool = False
    ) -> builtins.list[Applied]:
        """Server-side apply every document in dependency order (`dryRun=All` when `dry_run`)."""
        return [self._apply_one(doc, namespace, dry_run) for doc in apply_order(documents)]

    def _apply_one(self, doc: Mapping[str, Any], namespace: str | None, dry_run: bool) -> Applied:
        kind, doc_ns, name = identity(doc)
        resource = self._resource(str(doc.get("apiVersion") or ""), kind, name)
        ns = (namespace or doc_ns or "default") if resource.namespaced else ""
        body = dict(doc)
        if ns:
            body["metadata"] = {**dict(doc.get("metadata") or {}), "namespace": ns}
        before = self._get(resource, name, ns)
        after = self._guard(
            lambda: self.dynamic.server_side_apply(
                resource,
                body=body,
                name=name,
                namespace=ns or None,
                field_manager=FIELD_MANAGER,
                force_conflicts=True,
                dry_run="All" if dry_run else None,
            )
        ).to_dict()
        action: ApplyAction = (
            "created" if before is None else ("unchanged" if same_object(before, after) else "configured")
        )
        return Applied(kind, ns, name, action)

    def _resource(self, api_version: str, kind: str, name: str) -> Any:
        from kubernetes.dynamic import exceptions as dyn_errors

        try:
            return self.dynamic.resources.get(api_version=api_version, kind=kind)
        except dyn_errors.ResourceNotFoundError as e:
            raise ManifestError(
                f"the cluster does not serve {api_version} {kind}",
                where=f"{kind}/{name}",
                fix="install the Argo stack first (infra/terraform; docs/cluster.md)",
            ) from e

    def _get(self, resource: Any, name: str, namespace: str) -> dict[str, Any] | None:
        from kubernetes.dynamic import exceptions as dyn_errors
        from urllib3.exceptions import HTTPError as Urllib3Error

        try:
            found = self.dynamic.get(resource, name=name, namespace=namespace or None)
        except dyn_errors.NotFoundError:
            return None
        except Urllib3Error:
            return self._guard(lambda: None)  # unreachable: let _guard word it
        result: dict[str, Any] = found.to_dict()
        return result

    def delete(self, kind: str, name: str, namespace: str | None = None) -> None:
        """Delete one object (kind resolved through discovery, any API group)."""
        from kubernetes.dynamic import exceptions as dyn_errors

        try:
            resource = self.dynamic.resources.get(kind=kind)
        except dyn_errors.ResourceNotFoundError as e:
            raise ManifestError(f"the cluster does not serve kind {kind}", where=f"{kind}/{name}") from e
        except dyn_errors.ResourceNotUniqueError as e:
            raise ManifestError(f"kind {kind} exists in several API groups", where=f"{kind}/{name}") from e
        try:
            self.dynamic.delete(resource, name=name, namespace=namespace if resource.namespaced else None)
        except dyn_errors.NotFoundError as e:
            raise NotFoundError(f"{kind}/{name} not found", where=f"cluster {self.context!r} {namespace or ''}") from e
