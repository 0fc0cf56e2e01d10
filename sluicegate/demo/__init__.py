"""`sluice demo`: the whole loop on the running local stack — git push -> pipeline -> canary, three times.

Called by the `demo` CLI command (and `make demo`). See `_scenario` for the three pushes and their
expected outcomes; `run_demo` returns the exit code: 0 only when all three ended as expected and the
steady traffic saw no failed request.
"""

from sluicegate.demo._run import run_demo

__all__ = ["run_demo"]
