"""One model service = one Argo Rollout (canary with analysis) + stable/canary Services + an nginx Ingress.

Built by `rollouts.manifests()` for every entry of `MODEL_SERVICES`. The model a Rollout serves is the pod
template annotation `sluicegate.io/model-uri` (the pipeline's deploy step patches it), passed to the container
as env `MODEL_URI` through the downward API.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract import MODEL_URI_ANNOTATION, PART_OF
from rollouts._analysis import LATENCY, NAMESPACE, SMOKE, STRESS_TEST, SUCCESS_RATE, components_image
from rollouts._models import (
    AnalysisArg,
    CanaryStep,
    CanaryStrategy,
    Container,
    ObjectMeta,
    PodSpec,
    PodTemplate,
    Resource,
    Rollout,
    RolloutAnalysis,
    RolloutSpec,
)

__all__ = ["MODEL_SERVICES", "MODEL_URI_ANNOTATION", "ModelService", "ingress", "rollout", "services"]

_PORT = 8080


@dataclass(frozen=True)
class ModelService:
    """A model served behind its own Rollout.

    Attributes:
        name: Rollout name = registered model name (the pipeline's `model-name`).
        replicas: pods on the cluster.
        pause: how long to hold at 50% before the last analysis (Argo duration: "30s", "5m").
        interval: analysis measurement interval; `count` measurements per analysis step.
        window: Prometheus rate window of the queries.
        min_success_rate: the canary's success rate must stay at or above this (0..1).
        max_p99_ms: the canary's p99 latency must stay at or below this.
        stress_p99_ms: the stress-test analysis' p99 latency gate.
        stress_max_error_rate: the stress-test analysis' error-rate gate.
        stress_rps: the stress-test analysis' request rate (the pipeline's stress test's, sluicegate.yaml's
            `stress_test.target_rps` for a model project).
        stress_duration_seconds: how long the stress-test analysis loads the canary.
        stress_rows: the rows the stress-test analysis sends, base64 `dataframe_split` (empty: a bundled
            dataset's rows, which fit only a model trained on that dataset).
        host: the Ingress host.
        model_uri: the model version the pod template names (default: the registry's champion).
    """

    name: str
    replicas: int = 2
    pause: str = "30s"
    interval: str = "30s"
    count: int | str = 3
    window: str = "1m"
    min_success_rate: str = "0.99"
    max_p99_ms: str = "250"
    stress_p99_ms: str = "250"
    stress_max_error_rate: str = "0.01"
    stress_rps: str = "50"
    stress_duration_seconds: str = "20"
    stress_rows: str = ""
    host: str = ""
    model_uri: str = ""


#: Model services rendered statically; none by default, because the pipeline's deploy step applies each
#: model's Rollout, Services and Ingress the first time it deploys that model (see
#: `workflows.evaluate_and_deploy`). A Rollout rendered here before any model exists would wait Degraded.
MODEL_SERVICES: list[ModelService] = []


def _labels(svc: ModelService) -> dict[str, str]:
    return {"app": svc.name, **PART_OF}


_QUALITY = ("interval", "count", "window", "minSuccessRate", "maxP99Ms")


def _args(svc: ModelService, *extra: str) -> list[AnalysisArg]:
    args = [AnalysisArg(name="service-name", value=svc.name)]
    values = {
        "interval": svc.interval,
        "count": str(svc.count),
        "window": svc.window,
        "minSuccessRate": svc.min_success_rate,
        "maxP99Ms": svc.max_p99_ms,
        "p99-latency-ms": svc.stress_p99_ms,
        "max-error-rate": svc.stress_max_error_rate,
        "rps": svc.stress_rps,
        "duration-seconds": svc.stress_duration_seconds,
        "rows": svc.stress_rows,
    }
    return args + [AnalysisArg(name=k, value=values[k]) for k in extra]


def _container(svc: ModelService) -> Container:
    probe = {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5, "failureThreshold": 3}
    return Container(
        name="model",
        image=components_image(),
        command=["python", "-m", "components.serve"],
        args=["--host", "0.0.0.0", "--port", str(_PORT), "--workers", "2"],
        ports=[{"name": "http", "containerPort": _PORT, "protocol": "TCP"}],
        env=[
            {
                "name": "MODEL_URI",
                "valueFrom": {"fieldRef": {"fieldPath": f"metadata.annotations['{MODEL_URI_ANNOTATION}']"}},
            },
            {"name": "MLFLOW_TRACKING_URI", "value": f"http://mlflow.{NAMESPACE}.svc:5000"},
            {"name": "SLUICE_SERVE_METRICS_DIR", "value": "/tmp/metrics"},
        ],
        readiness_probe=probe | {"initialDelaySeconds": 5},
        liveness_probe={"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10, "failureThreshold": 3},
        resources={"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        security_context={
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        volume_mounts=[{"name": "tmp", "mountPath": "/tmp"}],
    )


def rollout(svc: ModelService) -> Rollout:
    """The Rollout: 10% -> analysis -> 50% -> pause -> analysis -> 100%, nginx traffic routing."""
    quality = [{"templateName": SUCCESS_RATE}, {"templateName": LATENCY}]
    steps = [
        CanaryStep(set_weight=10),
        CanaryStep(
            analysis=RolloutAnalysis(
                templates=[*quality, {"templateName": SMOKE}],
                args=_args(svc, *_QUALITY),
            )
        ),
        CanaryStep(set_weight=50),
        CanaryStep(pause={"duration": svc.pause}),
        CanaryStep(
            analysis=RolloutAnalysis(
                templates=[*quality, {"templateName": STRESS_TEST}],
                args=_args(svc, *_QUALITY, "p99-latency-ms", "max-error-rate", "rps", "duration-seconds", "rows"),
            )
        ),
    ]
    strategy = CanaryStrategy(
        canary_service=f"{svc.name}-canary",
        stable_service=f"{svc.name}-stable",
        traffic_routing={"nginx": {"stableIngress": svc.name}},
        steps=steps,
        canary_metadata={"labels": {"role": "canary"}},
        stable_metadata={"labels": {"role": "stable"}},
        abort_scale_down_delay_seconds=30,
    )
    template = PodTemplate(
        metadata={
            "labels": _labels(svc),
            "annotations": {MODEL_URI_ANNOTATION: svc.model_uri or f"models:/{svc.name}@champion"},
        },
        spec=PodSpec(
            containers=[_container(svc)],
            security_context={"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            volumes=[{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
            automount_service_account_token=False,
        ),
    )
    return Rollout(
        metadata=ObjectMeta(name=svc.name, namespace=NAMESPACE, labels=_labels(svc)),
        spec=RolloutSpec(
            replicas=svc.replicas,
            revision_history_limit=5,
            progress_deadline_seconds=900,
            selector={"matchLabels": {"app": svc.name}},
            template=template,
            strategy={"canary": strategy},
        ),
    )


def services(svc: ModelService) -> list[Resource]:
    """The stable and canary Services (Argo Rollouts adds the pod-template-hash to their selectors)."""
    return [
        Resource(
            api_version="v1",
            kind="Service",
            metadata=ObjectMeta(name=f"{svc.name}-{role}", namespace=NAMESPACE, labels=_labels(svc)),
            spec={
                "selector": {"app": svc.name},
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        )
        for role in ("stable", "canary")
    ]


def ingress(svc: ModelService) -> Resource:
    """The nginx Ingress to the stable Service; Argo Rollouts clones it into a weighted canary Ingress."""
    host = svc.host or f"{svc.name}.sluicegate.local"
    backend = {"service": {"name": f"{svc.name}-stable", "port": {"name": "http"}}}
    return Resource(
        api_version="networking.k8s.io/v1",
        kind="Ingress",
        metadata=ObjectMeta(name=svc.name, namespace=NAMESPACE, labels=_labels(svc)),
        spec={
            "ingressClassName": "nginx",
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}],
        },
    )
