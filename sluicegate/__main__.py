"""`python -m sluicegate` runs the `sluice` CLI."""

from sluicegate.cli import main

main()
