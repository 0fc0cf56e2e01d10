"""Argo Events' webhook example as a user runs it on the local stack: an event posted to a webhook starts a Workflow.

The shape of Argo Events' own example (a `webhook` EventSource serving POST on a port and path, a Sensor whose
`argoWorkflow` trigger submits an inline Workflow with `body.message` as its parameter), written here as
a user would write it, applied with `sluice apply`, posted to with plain HTTP (the example's EventSource has
no `authSecret`: the endpoint takes any POST, locally on 127.0.0.1 only) and followed until the Workflow
the trigger submitted has run. The trigger passes `argo submit` flags in `args` too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluicegate.cli import main
from sluicegate.config import Settings
from sluicegate.errors import SluiceError
from sluicegate.eventing import EventsPart
from sluicegate.part import StackContext
from sluicegate.secrets import SecretStore
from tests.conftest import LocalApi
from tests.events.conftest import wait_for

EVENT_SOURCE = """\
apiVersion: argoproj.io/v1alpha1
kind: EventSource
metadata:
  name: hooks
spec:
  webhook:
    greeting:
      port: "12000"
      endpoint: /greeting
      method: POST
"""

SENSOR = """\
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: greeter
spec:
  dependencies:
    - name: greeting-dep
      eventSourceName: hooks
      eventName: greeting
  triggers:
    - template:
        name: print-greeting
        argoWorkflow:
          operation: submit
          args: [--serviceaccount, greeter-sa, -l, greeted-by=webhook]
          source:
            inline: |
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: greeting-
              spec:
                entrypoint: say
                arguments:
                  parameters:
                    - name: message
                      value: overwritten by the event
                templates:
                  - name: say
                    inputs:
                      parameters:
                        - name: message
                    container:
                      image: busybox
                      command: [echo]
                      args: ["{{inputs.parameters.message}}"]
          parameters:
            - src:
                dependencyName: greeting-dep
                dataKey: body.message
              dest: spec.arguments.parameters.0.value
"""


@pytest.fixture(scope="module")
def events_part(local_stack: LocalApi) -> Iterator[EventsPart]:
    """The events part of `sluice up` beside the module's stack (API and workflow controller), on its store."""
    ctx = StackContext(Settings(home=local_stack.home), local_stack.store, SecretStore(local_stack.home), "t")
    part = EventsPart(port_map={12000: 0}, relay=False)
    part.start(ctx)
    yield part
    part.stop()


def _sluice(*args: str) -> None:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    assert done.value.code == 0


def _finished(store: Any) -> dict[str, Any] | None:
    for wf in store.list("Workflow", labels={"events.argoproj.io/sensor": "greeter"}):
        if (wf.get("status") or {}).get("phase") in ("Succeeded", "Failed", "Error"):
            return dict(wf)
    return None


def test_a_posted_message_runs_the_workflow_with_it_as_parameter(
    local_stack: LocalApi,
    events_part: EventsPart,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(local_stack.home))
    (tmp_path / "event-source.yaml").write_text(EVENT_SOURCE)
    (tmp_path / "sensor.yaml").write_text(SENSOR)
    _sluice("apply", str(tmp_path / "event-source.yaml"), str(tmp_path / "sensor.yaml"))
    url = wait_for(lambda: _served(events_part), what="the webhook endpoint")
    message = 'hello from "a webhook" <&>'
    answer = httpx.post(url, content=json.dumps({"message": message}), headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.text) == (200, "success")  # Argo Events' answer, byte for byte
    wf = wait_for(lambda: _finished(local_stack.store), timeout=120, what="the submitted Workflow to finish")
    # no namespace in the documents: they land in the one every `sluice` command defaults to, as `kubectl apply`
    # without -n puts them in the context's namespace
    assert wf["metadata"]["namespace"] == "sluicegate"
    assert wf["status"]["phase"] == "Succeeded"
    assert wf["spec"]["arguments"]["parameters"] == [{"name": "message", "value": message}]
    assert wf["metadata"]["labels"]["events.argoproj.io/trigger"] == "print-greeting"
    assert (wf["metadata"]["labels"]["greeted-by"], wf["spec"]["serviceAccountName"]) == ("webhook", "greeter-sa")
    capsys.readouterr()
    _sluice("logs", wf["metadata"]["name"])
    assert message in capsys.readouterr().out


def _served(part: EventsPart) -> str:
    try:
        return part.url_of("hooks", "greeting")
    except SluiceError:
        return ""
