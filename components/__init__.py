"""The code that runs inside pipeline steps and services (train, evaluate, build, stress-test, serve, relay).

Plain typed functions with thin CLIs (`python -m components.<name>`); imports neither the definitions
nor the `sluicegate` runtime, so it runs the same in a container on a cluster and on one machine.
"""
