"""A small MLflow REST client for the steps that only create runs, set tags and register model versions.

Called by `components.project_train` (start-run, register) and `components.lineage` (tag-rollout). Those
steps make a handful of REST calls; importing mlflow for them costs about 2 s of CPU per step. This
client sends the requests MLflow's own client sends for the same calls (REST API 2.0) and reports
failures in its words:

- Credentials as every MLflow client reads them: `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`
  (basic auth), else `MLFLOW_TRACKING_TOKEN` (bearer); `MLFLOW_TRACKING_INSECURE_TLS=true` or
  `MLFLOW_TRACKING_SERVER_CERT_PATH` for TLS.
- An error answer raises `MlflowRestError` with MlflowException's message (`RESOURCE_DOES_NOT_EXIST: ...`,
  or `API request to endpoint ... failed with error code 401 != 200. ...`); `rest_errors` makes it one line.
- Lost connections and 429/5xx answers are retried, as MLflow retries them, but for seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from components._common._mlflow import as_user_error, check_reachable
from components._common._rest_models import Experiment, LoggedModel, ModelVersion, Run

__all__ = ["MlflowRest", "MlflowRestError", "rest_client", "rest_errors"]

_API = "/api/2.0/mlflow"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_BACKOFF = (0.5, 1.0, 2.0)  # seconds before each retry: MLflow waits up to minutes, a step says so sooner
_AWAIT_READY = 300.0  # as mlflow.register_model's await_registration_for
#: The logged model tag listing the versions registered from it (mlflow.utils.mlflow_tags.MLFLOW_MODEL_VERSIONS).
MODEL_VERSIONS_TAG = "mlflow.modelVersions"


class MlflowRestError(Exception):
    """MLflow answered with an error, or did not answer; `message` reads as MlflowException's.

    Args:
        message: the message, `ERROR_CODE: text` when MLflow said which.
        error_code: MLflow's error code (`RESOURCE_DOES_NOT_EXIST`, ...), `INTERNAL_ERROR` otherwise.
    """

    def __init__(self, message: str, error_code: str = "INTERNAL_ERROR") -> None:
        self.message = message
        self.error_code = error_code
        super().__init__(message)


@contextmanager
def rest_errors(tracking_uri: str) -> Iterator[None]:
    """Turn `MlflowRestError`s into one-line `UserError`s, as `mlflow_errors` does for MLflow's client."""
    try:
        yield
    except MlflowRestError as e:
        raise as_user_error(tracking_uri, e.message) from e


def rest_client(tracking_uri: str, timeout: float = 10.0) -> MlflowRest:
    """`check_reachable(tracking_uri)`, then a client for it (the REST form of `connect`).

    Raises:
        UserError: the server does not answer (the message names the URI).
    """
    check_reachable(tracking_uri, timeout)
    return MlflowRest(tracking_uri)


def _auth() -> tuple[httpx.Auth | None, dict[str, str]]:
    user, password = os.environ.get("MLFLOW_TRACKING_USERNAME", ""), os.environ.get("MLFLOW_TRACKING_PASSWORD", "")
    if user and password:
        return httpx.BasicAuth(user, password), {}
    token = os.environ.get("MLFLOW_TRACKING_TOKEN", "")
    return None, ({"Authorization": f"Bearer {token}"} if token else {})


def _verify() -> bool | str:
    if os.environ.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() == "true":
        return False
    return os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH", "") or True


def _error(response: httpx.Response, endpoint: str) -> MlflowRestError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("error_code") or "INTERNAL_ERROR")
        text = body.get("message", f"Response: {body}")
        return MlflowRestError(f"{code}: {text}", code)
    return MlflowRestError(
        f"API request to endpoint {endpoint} failed with error code {response.status_code} != 200. "
        f"Response body: '{response.text}'"
    )


class MlflowRest:
    """MLflow's tracking and registry REST API, the calls the light steps make.

    Args:
        tracking_uri: the server's URL (`http://host:port`).
        timeout: seconds per request (MLflow's default, `MLFLOW_HTTP_REQUEST_TIMEOUT`, is 120).
        backoff: seconds before each retry of a lost connection or a 429/5xx answer.
    """

    def __init__(self, tracking_uri: str, timeout: float = 120.0, backoff: tuple[float, ...] = _BACKOFF) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self._backoff = backoff
        auth, headers = _auth()
        self._http = httpx.Client(
            base_url=self.tracking_uri, timeout=timeout, auth=auth, headers=headers, verify=_verify()
        )

    def __enter__(self) -> MlflowRest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """`method` `/api/2.0/mlflow<path>` with `body` (query for GET, JSON otherwise); the JSON answer.

        Raises:
            MlflowRestError: an error answer, or no answer after the retries.
        """
        endpoint = _API + path
        kw: dict[str, Any] = {"params": body} if method == "GET" else {"json": body or {}}
        response = self._send(method, endpoint, kw)
        if response.status_code != 200:
            raise _error(response, endpoint)
        answer = response.json() if response.content else {}
        return answer if isinstance(answer, dict) else {}

    def _send(self, method: str, endpoint: str, kw: dict[str, Any]) -> httpx.Response:
        for delay in self._backoff:
            try:
                response = self._http.request(method, endpoint, **kw)
            except httpx.TransportError:
                time.sleep(delay)
                continue
            if response.status_code not in _RETRY_STATUS:
                return response
            time.sleep(delay)
        try:
            return self._http.request(method, endpoint, **kw)
        except httpx.TransportError as e:
            raise MlflowRestError(f"API request to {self.tracking_uri}{endpoint} failed with exception {e}") from e

    # -- tracking

    def experiment_id(self, name: str) -> str:
        """The id of experiment `name`, created if missing (as `mlflow.set_experiment`).

        Raises:
            MlflowRestError: the experiment is deleted, or MLflow refused.
        """
        for _ in range(2):  # two steps starting at once race to create it; the loser finds it instead
            try:
                found = self.call("GET", "/experiments/get-by-name", {"experiment_name": name})
            except MlflowRestError as e:
                if e.error_code != "RESOURCE_DOES_NOT_EXIST":
                    raise
            else:
                experiment = Experiment.model_validate(found["experiment"])
                if experiment.lifecycle_stage == "deleted":
                    raise MlflowRestError(
                        f"Cannot set a deleted experiment {name!r} as the active experiment. You can restore "
                        "the experiment, or permanently delete the experiment to create a new one.",
                        "INVALID_PARAMETER_VALUE",
                    )
                return experiment.experiment_id
            try:
                return str(self.call("POST", "/experiments/create", {"name": name})["experiment_id"])
            except MlflowRestError as e:
                if e.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
        raise MlflowRestError(f"experiment {name!r} exists but cannot be read", "RESOURCE_DOES_NOT_EXIST")

    def create_run(self, experiment_id: str, tags: dict[str, str]) -> Run:
        """A new RUNNING run with `tags` (as `MlflowClient.create_run`)."""
        body = {
            "experiment_id": experiment_id,
            "user_id": tags.get("mlflow.user", "unknown"),
            "start_time": int(time.time() * 1000),
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        }
        return Run.model_validate(self.call("POST", "/runs/create", body)["run"])

    def get_run(self, run_id: str) -> Run:
        """Run `run_id` with its metrics, params and tags."""
        return Run.model_validate(self.call("GET", "/runs/get", {"run_id": run_id})["run"])

    def log_param(self, run_id: str, key: str, value: str) -> None:
        """Log parameter `key` of the run."""
        self.call("POST", "/runs/log-parameter", {"run_id": run_id, "run_uuid": run_id, "key": key, "value": value})

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        """Set tag `key` of the run."""
        self.call("POST", "/runs/set-tag", {"run_id": run_id, "run_uuid": run_id, "key": key, "value": value})

    def set_terminated(self, run_id: str, status: str = "FINISHED") -> None:
        """End the run with `status` (`FINISHED`, `FAILED`, `KILLED`) now, as `MlflowClient.set_terminated`."""
        end_time = int(time.time() * 1000)
        self.call(
            "POST", "/runs/update", {"run_id": run_id, "run_uuid": run_id, "status": status, "end_time": end_time}
        )

    def search_logged_models(self, experiment_ids: list[str], filter_string: str) -> list[LoggedModel]:
        """The logged models of `experiment_ids` matching `filter_string`, every page."""
        models: list[LoggedModel] = []
        token = ""
        while True:
            body: dict[str, Any] = {"experiment_ids": experiment_ids, "filter": filter_string}
            if token:
                body["page_token"] = token
            page = self.call("POST", "/logged-models/search", body)
            models += [LoggedModel.model_validate(m) for m in page.get("models") or []]
            token = str(page.get("next_page_token") or "")
            if not token:
                return models

    # -- registry

    def register_model(self, model_id: str, name: str, tags: dict[str, str]) -> ModelVersion:
        """Register logged model `model_id` as a new version of `name`, as `mlflow.register_model("models:/<id>")`.

        Creates the registered model when missing, waits while the version is PENDING_REGISTRATION, and
        adds the version to the logged model's `mlflow.modelVersions` tag; prints what MLflow prints.
        """
        try:
            self.call("POST", "/registered-models/create", {"name": name})
            print(f"Successfully registered model '{name}'.", file=sys.stderr)
        except MlflowRestError as e:
            if e.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
                raise
            print(f"Registered model {name!r} already exists. Creating a new version of this model...", file=sys.stderr)
        body = {
            "name": name,
            "source": f"models:/{model_id}",
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
            "model_id": model_id,
        }
        version = self._await_ready(
            ModelVersion.model_validate(self.call("POST", "/model-versions/create", body)["model_version"])
        )
        print(f"Created version '{version.version}' of model '{version.name}'.", file=sys.stderr)
        self._link_version(model_id, version)
        return version

    def _await_ready(self, version: ModelVersion) -> ModelVersion:
        deadline = time.monotonic() + _AWAIT_READY
        while version.status == "PENDING_REGISTRATION" and time.monotonic() < deadline:
            time.sleep(1.0)
            version = self.get_model_version(version.name, version.version)
        if version.status != "READY":
            raise MlflowRestError(
                f"Model version creation failed for model name: {version.name} version: {version.version} "
                f"with status: {version.status}",
                "INVALID_STATE",
            )
        return version

    def _link_version(self, model_id: str, version: ModelVersion) -> None:
        try:
            found = LoggedModel.model_validate(self.call("GET", f"/logged-models/{model_id}")["model"])
        except MlflowRestError as e:
            if e.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            return
        listed = [{"name": version.name, "version": version.version}]
        existing = {t.key: t.value for t in found.info.tags}.get(MODEL_VERSIONS_TAG)
        if existing:
            listed = json.loads(existing) + listed
        tags = [{"key": MODEL_VERSIONS_TAG, "value": json.dumps(listed)}]
        self.call("PATCH", f"/logged-models/{model_id}/tags", {"tags": tags})

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        """Version `version` of registered model `name`."""
        answer = self.call("GET", "/model-versions/get", {"name": name, "version": version})
        return ModelVersion.model_validate(answer["model_version"])

    def set_model_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        """Set tag `key` of version `version` of `name`."""
        self.call("POST", "/model-versions/set-tag", {"name": name, "version": version, "key": key, "value": value})
