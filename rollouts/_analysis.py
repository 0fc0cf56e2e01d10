"""The AnalysisTemplates that gate a model canary.

Success rate and p99 latency (Prometheus), a `web` check of the canary, and the stress-test as a `job` metric.

Built by `rollouts.manifests()`; referenced by the Rollout's analysis steps (`rollouts._service`). Queries use
the model server's metrics (`components.serve`) labelled with `rollout` (the Rollout name) and `role`
(`stable`/`canary`): the local stack's Prometheus adds these labels in its scrape config; on a cluster the
PodMonitor `model-servers` (`rollouts._monitor`) maps the pod labels `app` and `role` (set by
canaryMetadata/stableMetadata) to them.
"""

from __future__ import annotations

from contract import NAMESPACE, PART_OF, components_image
from rollouts._models import AnalysisArg, AnalysisTemplate, AnalysisTemplateSpec, Metric, ObjectMeta

__all__ = [
    "LATENCY",
    "NAMESPACE",
    "PROMETHEUS_ADDRESS",
    "SMOKE",
    "STRESS_TEST",
    "SUCCESS_RATE",
    "analysis_templates",
    "components_image",
]

#: Prometheus on the cluster (kube-prometheus-stack default service); the local stack uses its own.
PROMETHEUS_ADDRESS = "http://prometheus-operated.monitoring.svc:9090"
SUCCESS_RATE, LATENCY, SMOKE, STRESS_TEST = "success-rate", "latency-p99", "canary-smoke", "stress-test"


def _meta(name: str) -> ObjectMeta:
    return ObjectMeta(name=name, namespace=NAMESPACE, labels=dict(PART_OF))


_SELECT = 'rollout="{{args.service-name}}",role="{{args.role}}"'
_COMMON_ARGS = [
    AnalysisArg(name="service-name"),
    AnalysisArg(name="role", value="canary"),
    AnalysisArg(name="window", value="1m"),
    AnalysisArg(name="interval", value="30s"),
    AnalysisArg(name="count", value="3"),
]
# The queries answer even when the canary had no traffic in the window (only POST /invocations is counted,
# so 0/0 and empty vectors are normal at 10 % of little traffic): the success rate is then 1 and the p99 0,
# while all-5xx still gives a rate of 0. Without that, every measurement is Inconclusive and the Rollout
# pauses for good (Argo Rollouts pauses on an Inconclusive analysis). canary-smoke and the stress test are
# the active evidence. The conditions still guard empty vectors and NaN, should Prometheus answer oddly.
_HAS = "len(result) > 0 && !isNaN(result[0])"


def _prometheus(
    name: str, query: str, threshold: AnalysisArg, good: str, bad: str, failure_limit: int
) -> AnalysisTemplate:
    """A Prometheus metric measured `count` times every `interval` once a `window` of canary traffic exists."""
    arg = f"asFloat(args.{threshold.name})"
    return AnalysisTemplate(
        metadata=_meta(name),
        spec=AnalysisTemplateSpec(
            args=[*_COMMON_ARGS, threshold],
            metrics=[
                Metric(
                    name=name,
                    interval="{{args.interval}}",
                    initial_delay="{{args.window}}",
                    count="{{args.count}}",
                    success_condition=f"{_HAS} && result[0] {good} {arg}",
                    failure_condition=f"{_HAS} && result[0] {bad} {arg}",
                    failure_limit=failure_limit,
                    inconclusive_limit=1,
                    provider={"prometheus": {"address": PROMETHEUS_ADDRESS, "query": query, "timeout": 10}},
                )
            ],
        ),
    )


def _success_rate() -> AnalysisTemplate:
    ok = f'sum(rate(sluicegate_model_requests_total{{{_SELECT},code!~"5.."}}[{{{{args.window}}}}]))'
    total = f"sum(rate(sluicegate_model_requests_total{{{_SELECT}}}[{{{{args.window}}}}]))"
    query = f"(({ok} or on() vector(0)) / ({total} > 0)) or on() vector(1)"
    threshold = AnalysisArg(name="minSuccessRate", value="0.99")
    return _prometheus(SUCCESS_RATE, query, threshold, ">=", "<", failure_limit=0)


def _latency() -> AnalysisTemplate:
    buckets = f"sluicegate_model_request_duration_seconds_bucket{{{_SELECT}}}"
    p99 = f"histogram_quantile(0.99, sum by (le) (rate({buckets}[{{{{args.window}}}}]))) * 1000"
    query = f"({p99} >= 0) or on() vector(0)"  # NaN (no requests) fails `>= 0` and falls back to 0
    return _prometheus(LATENCY, query, AnalysisArg(name="maxP99Ms", value="250"), "<=", ">", failure_limit=1)


def _smoke() -> AnalysisTemplate:
    url = f"http://{{{{args.service-name}}}}-canary.{NAMESPACE}.svc/ready"
    return AnalysisTemplate(
        metadata=_meta(SMOKE),
        spec=AnalysisTemplateSpec(
            args=[AnalysisArg(name="service-name")],
            metrics=[
                Metric(
                    name=SMOKE,
                    success_condition="result.ready == true",
                    failure_limit=0,
                    consecutive_error_limit=2,
                    provider={"web": {"url": url, "method": "GET", "timeoutSeconds": 10, "jsonPath": "{$}"}},
                )
            ],
        ),
    )


def _stress_test() -> AnalysisTemplate:
    url = f"http://{{{{args.service-name}}}}-canary.{NAMESPACE}.svc"
    args = [
        f"--url={url}",
        "--rps={{args.rps}}",
        "--duration={{args.duration-seconds}}",
        "--p99-latency-ms={{args.p99-latency-ms}}",
        "--max-error-rate={{args.max-error-rate}}",
        "--rows-b64={{args.rows}}",
        "--outputs-dir=/tmp/outputs",
    ]
    container = {
        "name": "stress-test",
        "image": components_image(),
        "command": ["python", "-m", "components.stress_test"],
        "args": args,
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    }
    job = {
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                }
            },
        }
    }
    return AnalysisTemplate(
        metadata=_meta(STRESS_TEST),
        spec=AnalysisTemplateSpec(
            args=[
                AnalysisArg(name="service-name"),
                AnalysisArg(name="rps", value="50"),
                AnalysisArg(name="duration-seconds", value="20"),
                AnalysisArg(name="p99-latency-ms", value="250"),
                AnalysisArg(name="max-error-rate", value="0.01"),
                # the model's own rows (base64 dataframe_split); empty: the bundled breast_cancer rows
                AnalysisArg(name="rows", value=""),
            ],
            metrics=[Metric(name=STRESS_TEST, failure_limit=0, provider={"job": job})],
        ),
    )


def analysis_templates() -> list[AnalysisTemplate]:
    """Every AnalysisTemplate, shared by all model services."""
    return [_success_rate(), _latency(), _smoke(), _stress_test()]
