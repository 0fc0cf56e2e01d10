"""The MLflow relay on a cluster: Deployment, Service, PersistentVolumeClaim and NetworkPolicy.

One replica, with its watermark on the volume.

Called by `events.manifests()`. The relay needs no Kubernetes API access, so its pod mounts no token.
It reads the webhook secret from Secret `mlflow-webhook` (key `secret`), registers MLflow's registry
webhook pointing at its Service, and posts CloudEvents to the `mlflow` EventSource's Service with the
bearer token of Secret `mlflow-events-auth` (the EventSource's `authSecret`).
"""

from __future__ import annotations

from typing import Any

from contract import components_image
from events._build import NAMESPACE, meta
from events._sources import MLFLOW_AUTH_SECRET, MLFLOW_PORT, service_url

__all__ = ["RELAY_NAME", "RELAY_PORT", "relay_manifests"]

RELAY_NAME = "mlflow-relay"
RELAY_PORT = 8080
_MLFLOW = f"http://mlflow.{NAMESPACE}.svc:5000"
_STATE_DIR = "/var/lib/relay"
_SECRET_DIR = "/etc/relay-secret"
_TOKEN_DIR = "/etc/relay-sink-token"
_UID = 10001  # the components image's user
#: Where the cluster's MLflow runs (infra/terraform modules/argo-stack); its webhooks come from there.
MLFLOW_NAMESPACE = "mlflow"
_NS_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace


def _meta(name: str) -> dict[str, Any]:
    return meta(name, **{"app.kubernetes.io/name": RELAY_NAME}).model_dump(by_alias=True, exclude_none=True)


def _container(mlflow: str) -> dict[str, Any]:
    args = [
        "--mlflow", mlflow,
        "--sink", service_url("mlflow", MLFLOW_PORT) + "/mlflow",
        "--listen-host", "0.0.0.0",
        "--listen-port", str(RELAY_PORT),
        "--state", f"{_STATE_DIR}/state.json",
        "--secret-file", f"{_SECRET_DIR}/secret",
        "--sink-token-file", f"{_TOKEN_DIR}/{MLFLOW_AUTH_SECRET[1]}",
        "--register-webhook",
        "--public-url", f"http://{RELAY_NAME}.{NAMESPACE}.svc:{RELAY_PORT}/webhook",
    ]  # fmt: skip
    probe = {"httpGet": {"path": "/health", "port": RELAY_PORT}, "periodSeconds": 10}
    return {
        "name": "relay",
        "image": components_image(),
        "command": ["python", "-m", "components.relay"],
        "args": args,
        "imagePullPolicy": "Always",
        "ports": [{"name": "http", "containerPort": RELAY_PORT}],
        "readinessProbe": probe,
        "livenessProbe": probe,
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": _UID,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "state", "mountPath": _STATE_DIR},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "webhook-secret", "mountPath": _SECRET_DIR, "readOnly": True},  # a file, not an env var
            {"name": "sink-token", "mountPath": _TOKEN_DIR, "readOnly": True},
        ],
    }


def relay_manifests(mlflow: str = _MLFLOW) -> list[dict[str, Any]]:
    """Deployment, Service, PersistentVolumeClaim and NetworkPolicy of the relay."""
    labels = {"app.kubernetes.io/name": RELAY_NAME}
    deployment_meta = _meta(RELAY_NAME)
    deployment_meta["annotations"] = {
        "checkov.io/skip1": "CKV_K8S_43=the image is built by CI from this commit; the deploy pipeline pins its "
        "digest (kustomize edit set image) so the source keeps a tag",
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": deployment_meta,
        "spec": {
            "replicas": 1,  # one writer of the watermark
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {"fsGroup": _UID, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [_container(mlflow)],
                    "volumes": [
                        {"name": "state", "persistentVolumeClaim": {"claimName": f"{RELAY_NAME}-state"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                        {
                            "name": "webhook-secret",
                            "secret": {"secretName": "mlflow-webhook", "defaultMode": 0o400},
                        },
                        {
                            "name": "sink-token",
                            "secret": {"secretName": MLFLOW_AUTH_SECRET[0], "defaultMode": 0o400},
                        },
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(RELAY_NAME),
        "spec": {"selector": labels, "ports": [{"name": "http", "port": RELAY_PORT, "targetPort": RELAY_PORT}]},
    }
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _meta(f"{RELAY_NAME}-state"),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}},
    }
    # Only pods of this namespace (MLflow's webhook deliveries) may reach the relay.
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(RELAY_NAME),
        "spec": {
            "podSelector": {"matchLabels": labels},
            "policyTypes": ["Ingress"],
            # MLflow's webhooks come from its own namespace (modules/argo-stack puts it in `mlflow`).
            "ingress": [
                {
                    "from": [
                        {"podSelector": {}},
                        {"namespaceSelector": {"matchLabels": {_NS_LABEL: MLFLOW_NAMESPACE}}},
                    ],
                    "ports": [{"protocol": "TCP", "port": RELAY_PORT}],
                }
            ],
        },
    }
    return [deployment, service, claim, policy]
