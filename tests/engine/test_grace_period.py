"""A step's grace period between SIGTERM and SIGKILL is its pod's `terminationGracePeriodSeconds`.

As in Argo, the pod gets it from the workflow's and then the template's `podSpecPatch` (the template's
wins; Kubernetes' 30 s when neither sets it); stopping a step (terminate, stop, deadlines) waits that long
before SIGKILL, 0 killing at once; the sidecars stopped after the main containers get it too, where 0 means
the default as it does for Argo's wait container. A `podSpecPatch` that is not a pod spec is a node Error.
"""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.engine import actions
from sluicegate.engine._grace import DEFAULT_GRACE, grace_period, sidecar_grace, stop_grace
from sluicegate.engine._running import live_shim
from sluicegate.engine.testing import LocalEngine
from sluicegate.errors import SluiceError
from tests.engine.conftest import sh, workflow

# says "ready" once its TERM trap is set; on SIGTERM it says "got-term" (SIGKILL gives it no chance)
_TRAPS_TERM = "trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done"


def _terminated_log(engine: LocalEngine, doc: dict[str, Any]) -> str:
    meta = doc["metadata"]
    log = engine.home / "logs" / meta["namespace"] / meta["name"] / f"{meta['name']}.log"

    def ready(_: dict[str, Any]) -> bool:
        return log.is_file() and "ready" in log.read_text()

    engine.until(doc, ready, timeout=60)
    actions.terminate(engine.store, meta["namespace"], meta["name"])
    done = engine.wait(doc, timeout=90)
    assert done["status"]["phase"] == "Failed"
    # the node fails at once; the step (under its shim, which SIGKILL takes too) ends after it
    run = engine.home / "run" / meta["namespace"] / meta["name"] / meta["name"]
    engine.until(doc, lambda _: live_shim(run) is None, timeout=60)
    return log.read_text()


def test_terminate_kills_at_once_with_a_zero_grace_period(engine: LocalEngine) -> None:
    doc = workflow("trap", sh("trap", _TRAPS_TERM), podSpecPatch='{"terminationGracePeriodSeconds": 0}')
    assert "got-term" not in _terminated_log(engine, engine.submit(doc))


def test_template_grace_period_overrides_the_workflows(engine: LocalEngine) -> None:
    tmpl = sh("trap", _TRAPS_TERM, podSpecPatch="terminationGracePeriodSeconds: 20\n")
    doc = workflow("trap", tmpl, podSpecPatch='{"terminationGracePeriodSeconds": 0}')
    assert "got-term" in _terminated_log(engine, engine.submit(doc))


def test_grace_period_is_read_from_yaml_or_json_patches() -> None:
    assert grace_period('{"terminationGracePeriodSeconds": 7}', None, "t") == 7.0
    assert grace_period("terminationGracePeriodSeconds: 3", "terminationGracePeriodSeconds: 9", "t") == 9.0
    assert grace_period("containers: []", "", "t") is None  # a patch that does not set it


def test_unset_grace_is_the_kubernetes_default_and_zero_means_default_for_sidecars() -> None:
    assert stop_grace(None) == DEFAULT_GRACE == 30.0
    assert stop_grace(0.0) == 0.0
    assert sidecar_grace(0.0) == DEFAULT_GRACE
    assert sidecar_grace(4.0) == 4.0


@pytest.mark.parametrize("patch", ["terminationGracePeriodSeconds: soon", "{not: [yaml"])
def test_a_bad_pod_spec_patch_is_named_with_its_fix(patch: str) -> None:
    with pytest.raises(SluiceError) as caught:
        grace_period(None, patch, "train")
    assert "template 'train' podSpecPatch" in caught.value.message
    assert caught.value.fix


def test_a_bad_pod_spec_patch_makes_the_step_an_error(engine: LocalEngine) -> None:
    doc = workflow("bad", sh("bad", "true", podSpecPatch="terminationGracePeriodSeconds: -1"))
    done = engine.wait(engine.submit(doc))
    node = done["status"]["nodes"][done["metadata"]["name"]]
    assert node["phase"] == "Error"
    assert "terminationGracePeriodSeconds -1" in node["message"], node
