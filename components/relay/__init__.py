"""The MLflow -> CloudEvents relay: MLflow registry webhooks and finished runs become CloudEvents.

Runs as `python -m components.relay` (a Deployment on a cluster, a child process of `sluice up`'s events
part locally). Argo Events has no MLflow source, so this bridges: it receives MLflow's model-registry
webhooks (signature, timestamp window and replay checks), polls MLflow for runs that finished (with a
persisted watermark), enriches both with the tags the Sensors filter on, and posts CloudEvents 1.0 in
HTTP binary mode to the `mlflow` webhook EventSource (`<sink>/model-version-created`,
`<sink>/run-finished`). CloudEvent ids are derived from the MLflow object (model name and version, run
id), so a re-sent event is recognised as a duplicate downstream.
"""

from components.relay._events import GitSource, RelayEvent, model_version_event, run_finished_event, source_of
from components.relay._mlflow import MlflowRest
from components.relay._relay import Relay, RelayConfig
from components.relay._signature import SignatureError, sign, verify
from components.relay._state import RelayState

__all__ = [
    "GitSource",
    "MlflowRest",
    "Relay",
    "RelayConfig",
    "RelayEvent",
    "RelayState",
    "SignatureError",
    "model_version_event",
    "run_finished_event",
    "sign",
    "source_of",
    "verify",
]
