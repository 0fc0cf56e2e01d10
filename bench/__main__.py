"""Run every benchmark (`bench/bench_*.py`, each module's `main()`) and write `bench/RESULTS.md`.

Run: `make bench` or `.venv/bin/python -m bench [name ...]` (e.g. `python -m bench engine`). Each benchmark
prints markdown with its own ratios against a peer measured in the same run; this collects what they print,
section by section, with the machine and date, and records a benchmark that fails instead of stopping.
A benchmark in `OPTIONAL` runs only when its environment variable is set (`--argo DIR` sets ARGO_EXAMPLES,
as does `make bench ARGO_EXAMPLES=DIR`); otherwise one line says how to enable it and its section is kept.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent

#: Benchmarks that need something from outside the project, by module: the variable that enables each, and how.
OPTIONAL = {
    "bench_argo_examples": (
        "ARGO_EXAMPLES",
        "clone https://github.com/argoproj/argo-workflows, then `make bench ARGO_EXAMPLES=DIR` or "
        "`python -m bench --argo DIR`",
    ),
}


class _Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.buffer_text = io.StringIO()

    def write(self, text: str) -> int:  # type: ignore[override]
        self.out.write(text)
        self.out.flush()
        return self.buffer_text.write(text)


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def run(names: list[str]) -> dict[str, str]:
    """Run the selected benchmarks (all when `names` is empty); returns their report sections by file name."""
    if str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))
    paths = sorted(HERE.glob("bench_*.py"))
    if names:
        paths = [p for p in paths if any(n in p.stem for n in names)]
    sections: dict[str, str] = {}
    for path in paths:
        print(f"\n=== {path.stem} ===", flush=True)
        variable, how = OPTIONAL.get(path.stem, ("", ""))
        if variable and not os.environ.get(variable):
            print(f"skipped (its previous section is kept): {how}")
            continue
        tee = _Tee(sys.stdout)
        start = time.perf_counter()
        saved_argv = sys.argv
        sys.argv = [str(path)]
        try:
            with contextlib.redirect_stdout(tee):
                _load(path).main()
            status = f"ran in {time.perf_counter() - start:.0f} s"
        except BaseException as e:  # a broken benchmark is reported, the others still run
            if isinstance(e, KeyboardInterrupt):
                raise
            status = f"FAILED after {time.perf_counter() - start:.0f} s: {type(e).__name__}: {e}"
            traceback.print_exc()
        finally:
            sys.argv = saved_argv
        when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        sections[path.name] = f"# `{path.name}` ({status}, {when})\n\n{tee.buffer_text.getvalue().strip()}\n"
    return sections


def _previous(target: Path) -> dict[str, str]:
    """Sections of an existing RESULTS.md, by benchmark file name."""
    if not target.exists():
        return {}
    found: dict[str, str] = {}
    current: str | None = None
    for line in target.read_text().splitlines(keepends=True):
        if line.startswith("# `bench_"):
            current = line.split("`")[1]
            found[current] = ""
        if current is not None:
            found[current] += line
    return found


def main() -> None:
    """Run benchmarks named on the command line (default: all) and update their sections of bench/RESULTS.md."""
    target = HERE / "RESULTS.md"
    names = sys.argv[1:]
    if "--argo" in names[:-1]:  # the Argo examples' checkout, for bench_argo_examples
        at = names.index("--argo")
        os.environ["ARGO_EXAMPLES"] = names[at + 1]
        del names[at : at + 2]
    sections = {**_previous(target), **run(names)}
    head = (
        "# Benchmark results\n\n"
        f"Written by `python -m bench`; {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}. Every ratio compares against a peer measured in the same run on "
        "the same machine; each section says when it ran.\n"
    )
    target.write_text(head + "\n" + "\n".join(sections[k].rstrip() + "\n" for k in sorted(sections)))
    print(f"\nwrote {target}")


if __name__ == "__main__":
    main()
