"""The code that runs inside pipeline steps and services (train, evaluate, build, stress-test, serve, relay).

Plain typed functions with thin CLIs (`python -m components.<name>`); imports neither the definitions
nor the `sluicegate` runtime, so it runs the same in a container on a cluster and on one machine.
"""

import os

# MLflow's usage telemetry: its background thread sets and pops `_MLFLOW_TELEMETRY_SESSION_ID` in os.environ,
# and `os.environ.pop` is not atomic, so a step could fail a REST call with KeyError on that name; steps
# also run where nothing outside may be reached. A user who wants it sets MLFLOW_DISABLE_TELEMETRY=false.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
