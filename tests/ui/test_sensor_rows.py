"""The events page lists Sensors as the event runtime reads them; one it cannot run names the wrong field."""

from __future__ import annotations

from pathlib import Path

import yaml

from sluicegate.store import Store
from sluicegate.ui._gather import events_page

MANIFESTS = Path(__file__).parents[2] / "manifests"


def test_sensor_rows_name_dependencies_and_triggers_or_the_wrong_field(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    store.create(yaml.safe_load((MANIFESTS / "sensor-notify-outcome.yaml").read_text()))
    broken = {"kind": "Sensor", "metadata": {"name": "broken", "namespace": "sluicegate"}}
    store.create(broken | {"spec": {"dependencies": [{"name": "d", "eventName": "push"}], "triggers": []}})
    rows = {r["name"]: r for r in events_page(store, {})["sensors"]}
    assert rows["notify-outcome"]["dependencies"] == "workflow-events/outcome"
    assert rows["notify-outcome"]["triggers"] and not rows["notify-outcome"]["triggers"].startswith("invalid")
    assert rows["broken"]["triggers"] == "invalid: spec.dependencies[0].eventSourceName: Field required"
