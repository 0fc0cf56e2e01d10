"""Conformance: Argo's own `examples/` run on a local stack, with the phase each one ends in.

Run: `.venv/bin/python bench/bench_argo_examples.py --argo DIR [--timeout 180] [--parallel 3] [--only TEXT]`,
DIR a checkout of argo-workflows (`git clone https://github.com/argoproj/argo-workflows`); or set
ARGO_EXAMPLES=DIR (then `make bench ARGO_EXAMPLES=DIR` runs it too). Without either it prints how to enable
it and does nothing; it never downloads anything. `--list` prints the selection without starting a stack.

Selected, as docs/compatibility.md states the claim: every Workflow in `examples/**/*.yaml` not labelled
`workflows.argoproj.io/no-test` whose container, script, containerSet, init and sidecar images (its own and
those of the WorkflowTemplates and ClusterWorkflowTemplates it refers to) are all busybox, alpine or python.
Like Argo's e2e (`test/e2e/examples_test.go`), the examples' ConfigMaps, PersistentVolumeClaims,
WorkflowTemplates and ClusterWorkflowTemplates are applied first, and each example is expected to end
Succeeded (`fixtures.ToBeSucceeded`; examples that should fail carry the `no-test: expected-failure`
label) unless its `workflows.argoproj.io/verify.py` annotation asserts another phase.
Starts `sluice up --detach` on a fresh SLUICE_HOME, submits each example through the Argo Server API
(`POST /api/v1/workflows/{ns}`, what `argo submit` sends), waits for it with a per-example timeout
(terminating it when the timeout passes), prints a markdown table, `N of M Succeeded` and the count that
ended as expected, then stops the stack.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NS = "sluicegate"
ALLOWED_IMAGES = ("busybox", "alpine", "python")
APPLIED_FIRST = ("ConfigMap", "PersistentVolumeClaim", "WorkflowTemplate", "ClusterWorkflowTemplate")
NO_TEST = "workflows.argoproj.io/no-test"
VERIFY = "workflows.argoproj.io/verify.py"
HINT = "clone https://github.com/argoproj/argo-workflows and pass --argo DIR (or set ARGO_EXAMPLES=DIR)"
_FINISHED = ("Succeeded", "Failed", "Error")


@dataclass
class Example:
    """One selected Workflow document, where it came from and the phase Argo's e2e expects of it."""

    path: str
    doc: dict[str, Any]
    expected: str = "Succeeded"

    @property
    def label(self) -> str:
        """The file under `examples/` and the document's name (or generateName)."""
        meta = self.doc.get("metadata") or {}
        return f"{self.path} {meta.get('name') or meta.get('generateName', '')}"


@dataclass
class Selection:
    """What `select` found: examples to run, documents to apply first, and why the rest were left out."""

    examples: list[Example] = field(default_factory=list)
    applied: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)


@dataclass
class Outcome:
    """How one example ended: its phase (or Timeout / Rejected), the seconds it took, and why it failed."""

    example: Example
    phase: str
    seconds: float
    message: str = ""


# -- the selection ----------------------------------------------------------------------------------------
def _steps_and_tasks(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for group in template.get("steps") or []:
        yield from group if isinstance(group, list) else [group]
    yield from (template.get("dag") or {}).get("tasks") or []
    yield from (template.get("hooks") or {}).values()


def _images(template: dict[str, Any], default: str) -> Iterator[str]:
    """Every image a template (with its inline templates) names; `default` is templateDefaults' image."""
    for key in ("container", "script"):
        if isinstance(template.get(key), dict):
            yield str(template[key].get("image") or default or "(no image)")
    containers = [*((template.get("containerSet") or {}).get("containers") or [])]
    containers += [*(template.get("initContainers") or []), *(template.get("sidecars") or [])]
    yield from (str(c.get("image") or default or "(no image)") for c in containers)
    for step in _steps_and_tasks(template):
        if isinstance(step.get("inline"), dict):
            yield from _images(step["inline"], default)


def _refs(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The (kind, name) of every WorkflowTemplate / ClusterWorkflowTemplate a spec refers to."""

    def kind(ref: dict[str, Any]) -> str:
        return "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"

    if isinstance(spec.get("workflowTemplateRef"), dict):
        yield kind(spec["workflowTemplateRef"]), str(spec["workflowTemplateRef"].get("name"))
    hooks = [h for h in (spec.get("hooks") or {}).values() if isinstance(h, dict)]
    for step in [s for t in spec.get("templates") or [] for s in _steps_and_tasks(t)] + hooks:
        if isinstance(step.get("templateRef"), dict):
            yield kind(step["templateRef"]), str(step["templateRef"].get("name"))


def images_of(spec: dict[str, Any], library: dict[tuple[str, str], dict[str, Any]], seen: set[str]) -> set[str]:
    """The images a spec runs, through the templates it refers to; `(missing K/N)` for a reference not found."""
    default = str(((spec.get("templateDefaults") or {}).get("container") or {}).get("image") or "")
    found = {i for t in spec.get("templates") or [] for i in _images(t, default)}
    for kind, name in _refs(spec):
        if f"{kind}/{name}" in seen:
            continue
        seen.add(f"{kind}/{name}")
        ref = library.get((kind, name))
        found |= {f"(missing {kind}/{name})"} if ref is None else images_of(ref.get("spec") or {}, library, seen)
    return found


def allowed(image: str) -> bool:
    """busybox, alpine or python (any tag, Docker Hub's library spelled out or not)."""
    repo = image.removeprefix("docker.io/").removeprefix("library/").split("@")[0].split(":")[0]
    return repo in ALLOWED_IMAGES


def expected_phase(doc: dict[str, Any]) -> str:
    """Succeeded, as Argo's e2e waits for, unless the verify.py annotation asserts another phase."""
    verify = str(((doc.get("metadata") or {}).get("annotations") or {}).get(VERIFY) or "")
    match = re.search(r"""status\[["']phase["']\]\s*==\s*["'](\w+)["']""", verify)
    return match.group(1) if match else "Succeeded"


def select(examples_dir: Path) -> Selection:
    """Read every `examples/**/*.yaml`; sort its documents into run, apply first, or left out (with why)."""
    docs: list[tuple[str, dict[str, Any]]] = []
    chosen = Selection()
    for path in sorted(examples_dir.rglob("*.yaml")):
        rel = str(path.relative_to(examples_dir))
        try:
            docs += [(rel, d) for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
        except yaml.YAMLError:
            chosen.left_out["YAML does not parse"] += 1
    library = {(str(d.get("kind")), str((d.get("metadata") or {}).get("name"))): d for _, d in docs}
    for rel, doc in docs:
        kind, meta = str(doc.get("kind")), doc.get("metadata") or {}
        if kind in APPLIED_FIRST:
            chosen.applied.append((rel, doc))
            continue
        if kind != "Workflow":
            chosen.left_out[f"kind {kind}, not a Workflow"] += 1
            continue
        if NO_TEST in (meta.get("labels") or {}):
            chosen.left_out[f"labelled no-test: {meta['labels'][NO_TEST]}"] += 1
            continue
        others = sorted(i for i in images_of(doc.get("spec") or {}, library, set()) if not allowed(i))
        if others:
            chosen.left_out[f"image {others[0]}{' and others' if len(others) > 1 else ''}"] += 1
            continue
        chosen.examples.append(Example(rel, doc, expected_phase(doc)))
    return chosen


# -- the run ----------------------------------------------------------------------------------------------
def apply_first(client: Any, applied: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Apply the examples' ConfigMaps, PVCs and templates (namespaced ones into NS); the ones refused, why."""
    from sluicegate.errors import SluiceError

    refused = []
    for rel, doc in sorted(applied, key=lambda item: APPLIED_FIRST.index(str(item[1]["kind"]))):
        doc = {**doc, "metadata": {**(doc.get("metadata") or {})}}
        if doc["kind"] != "ClusterWorkflowTemplate":
            doc["metadata"]["namespace"] = NS
        try:
            client.objects.apply(doc)
        except Exception as e:  # a refused document is reported; the examples that need it will fail
            said = e.what if isinstance(e, SluiceError) else str(e)
            refused.append(f"{doc['kind']}/{doc['metadata'].get('name')} ({rel}): {_one_line(said)}")
    return refused


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _why(status: dict[str, Any]) -> str:
    """The workflow's message, and the first failed node's that is not just "child ... failed"."""
    parts = [str(status.get("message") or "")]
    for node in sorted((status.get("nodes") or {}).values(), key=lambda n: str(n.get("startedAt") or "")):
        said = str(node.get("message") or "")
        if node.get("phase") in ("Failed", "Error") and said and not said.startswith("child '"):
            parts.append(f"{node.get('displayName')}: {said}")
            break
    return _one_line("; ".join(p for p in parts if p))


def run_one(client: Any, example: Example, timeout: float) -> Outcome:
    """Submit one example, poll it until it finishes or `timeout` passes (then terminate it)."""
    from sluicegate.errors import NotFoundError, SluiceError

    doc = {**example.doc, "metadata": {**(example.doc.get("metadata") or {}), "namespace": NS}}
    start = time.perf_counter()
    try:
        made = client.http.request("POST", f"api/v1/workflows/{NS}", {"workflow": doc})
    except SluiceError as e:
        return Outcome(example, "Rejected", time.perf_counter() - start, _one_line(e.what))
    name, status = str(made["metadata"]["name"]), dict(made.get("status") or {})
    while time.perf_counter() - start < timeout:
        try:
            status = client.http.request("GET", f"api/v1/workflows/{NS}/{name}").get("status") or {}
        except NotFoundError:  # deleted by its own ttlStrategy between two polls
            phase = str(status.get("phase")) if status.get("phase") in _FINISHED else "Deleted"
            return Outcome(example, phase, time.perf_counter() - start, "deleted before the last poll")
        if status.get("phase") in _FINISHED:
            return Outcome(example, str(status["phase"]), time.perf_counter() - start, _why(status))
        time.sleep(0.5)
    with contextlib.suppress(SluiceError):
        client.workflows.terminate(name, NS)
    return Outcome(example, "Timeout", timeout, f"still {status.get('phase') or 'Pending'}; {_why(status)}")


def run_all(selection: Selection, timeout: float, parallel: int) -> tuple[list[Outcome], list[str], float]:
    """Start a stack, apply the templates, run every example; outcomes, refused documents, stack start-up."""
    from bench.bench_api import running_stack
    from sluicegate.client import StackClient

    started = time.perf_counter()
    with running_stack() as stack:
        up = time.perf_counter() - started
        client = StackClient(stack.url, stack.token, NS)
        refused = apply_first(client, selection.applied)
        with ThreadPoolExecutor(parallel) as pool:
            outcomes = list(pool.map(lambda e: run_one(client, e, timeout), selection.examples))
    return outcomes, refused, up


# -- the report -------------------------------------------------------------------------------------------
def print_selection(selection: Selection) -> None:
    """How many examples were selected and how many were left out, per reason."""
    print(
        f"Selected {len(selection.examples)} Workflows; applied first: {len(selection.applied)} documents "
        f"({', '.join(f'{n} {k}' for k, n in Counter(str(d['kind']) for _, d in selection.applied).items())})."
    )
    print(f"Left out: {sum(selection.left_out.values())}\n")
    for reason, count in selection.left_out.most_common():
        print(f"- {count}: {reason}")
    print()


def print_report(outcomes: list[Outcome], refused: list[str], up: float, wall: float, timeout: float) -> None:
    """The table (failures first), the counts and what could not be applied."""
    print("| example | expected | phase | seconds | message (when not as expected) |")
    print("|---|---|---|---|---|")
    ordered = sorted(outcomes, key=lambda o: (o.phase == o.example.expected, o.example.path))
    for o in ordered:
        note = o.message if o.phase != o.example.expected else ""
        print(f"| `{o.example.label}` | {o.example.expected} | {o.phase} | {o.seconds:.1f} | {note} |")
    total = len(outcomes)
    succeeded = sum(o.phase == "Succeeded" for o in outcomes)
    as_expected = sum(o.phase == o.example.expected for o in outcomes)
    expected = ", ".join(f"{phase} {n}" for phase, n in Counter(o.example.expected for o in outcomes).items())
    print(
        f"\n**{succeeded} of {total} Succeeded**; {as_expected} of {total} ended in the phase Argo's e2e "
        f"expects (expected: {expected})."
    )
    print(f"- phases: {dict(Counter(o.phase for o in outcomes))}; timeout {timeout:.0f} s per example")
    print(
        f"- `sluice up --detach` took {up:.1f} s; all examples {wall:.0f} s; load average at the end "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for line in refused:
        print(f"- not applied: {line}")


def main(argv: list[str] | None = None) -> None:
    """Select Argo's examples from a checkout, run them on a fresh local stack, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--argo", type=Path, default=os.environ.get("ARGO_EXAMPLES") or None, help="checkout")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per example")
    parser.add_argument("--parallel", type=int, default=3, help="examples running at once")
    parser.add_argument("--only", action="append", default=[], help="run the examples whose path contains this")
    parser.add_argument("--list", action="store_true", help="print the selection only, start no stack")
    args = parser.parse_args(argv)
    if args.argo is None:
        print(f"skipped: {HINT}")
        return
    examples_dir = Path(args.argo) / "examples"
    if not examples_dir.is_dir():
        raise SystemExit(f"no {examples_dir}: {HINT}")
    selection = select(examples_dir)
    head = subprocess.run(["git", "-C", str(args.argo), "log", "-1", "--format=%h %cs"], capture_output=True, text=True)
    print("## Argo's examples (busybox, alpine, python; not labelled no-test) on a local stack\n")
    print(f"argo-workflows checkout at {head.stdout.strip() or '(not a git checkout)'}.\n")
    print_selection(selection)
    if args.only:
        selection.examples = [e for e in selection.examples if any(o in e.path for o in args.only)]
    if args.list:
        for example in selection.examples:
            print(f"- `{example.label}` expects {example.expected}")
        return
    started = time.perf_counter()
    outcomes, refused, up = run_all(selection, args.timeout, args.parallel)
    print_report(outcomes, refused, up, time.perf_counter() - started, args.timeout)


if __name__ == "__main__":
    main()
