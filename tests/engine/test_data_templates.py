"""`data` templates list the artifact repository's paths and transform them with expressions, as Argo's do."""

from __future__ import annotations

import json

from sluicegate.engine.testing import LocalEngine
from tests.engine.conftest import nodes_by_display, sh, workflow


def test_artifact_paths_filtered_and_mapped_feed_a_fan_out(engine: LocalEngine) -> None:
    repo = engine.home / "artifacts" / "reports"
    for name in ("a.pdf", "b.txt", "sub/c.pdf"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(name)
    data = {
        "name": "list",
        "data": {
            "source": {"artifactPaths": {"name": "reports", "s3": {"bucket": "any", "key": "reports"}}},
            "transformation": [
                {"expression": 'filter(data, {# endsWith ".pdf"})'},
                {"expression": 'map(data, {# + ".ready"})'},
            ],
        },
    }
    use = sh("use", "echo {{inputs.parameters.file}}", inputs={"parameters": [{"name": "file"}]})
    steps = [
        [{"name": "list", "template": "list"}],
        [
            {
                "name": "use",
                "template": "use",
                "arguments": {"parameters": [{"name": "file", "value": "{{item}}"}]},
                "withParam": "{{steps.list.outputs.result}}",
            }
        ],
    ]
    done = engine.wait(engine.submit(workflow("main", {"name": "main", "steps": steps}, data, use)))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    nodes = nodes_by_display(done)
    assert json.loads(nodes["list"]["outputs"]["result"]) == ["reports/a.pdf.ready", "reports/sub/c.pdf.ready"]
    used = sorted(
        n["outputs"]["result"] for n in done["status"]["nodes"].values() if n["displayName"].startswith("use(")
    )
    assert used == ["reports/a.pdf.ready", "reports/sub/c.pdf.ready"]


def test_a_bad_transformation_or_source_is_an_error_naming_the_step(engine: LocalEngine) -> None:
    bad_expr = {
        "name": "bad",
        "data": {
            "source": {"artifactPaths": {"name": "x", "s3": {"key": "nothing-here"}}},
            "transformation": [{"expression": "data"}, {"expression": "filter(data,"}],
        },
    }
    done = engine.wait(engine.submit(workflow("bad", bad_expr)))
    message = nodes_by_display(done)[done["metadata"]["name"]]["message"]
    assert done["status"]["phase"] == "Error" and "error processing data step 1" in message
    outside = {"name": "out", "data": {"source": {"artifactPaths": {"name": "x", "s3": {"key": "../../etc"}}}}}
    done = engine.wait(engine.submit(workflow("out", outside)))
    assert done["status"]["phase"] == "Error"
    assert "unable to source artifact paths" in nodes_by_display(done)[done["metadata"]["name"]]["message"]
