"""`python -m components.project`: check a model project, or print the JSON schema of sluicegate.yaml.

`check DIR` prints one line per problem and exits 2 when there is any; `schema` prints the schema that
`docs/sluicegate.schema.json` holds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from components._common import OneLineParser, run_cli
from components.project._check import check_project
from components.project._schema import schema_text

PROG = "components.project"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the command; returns the exit code."""
    parser = OneLineParser(prog=PROG, description="Check a model project or print the sluicegate.yaml schema.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check MLproject, sluicegate.yaml and the environment files")
    check.add_argument("root", type=Path, help="the project's root folder")
    sub.add_parser("schema", help="print the JSON schema of sluicegate.yaml")
    args = parser.parse_args(argv)
    if args.command == "schema":
        sys.stdout.write(schema_text())
        return 0
    problems = check_project(args.root)
    for line in problems:
        print(f"{PROG}: error: {line}", file=sys.stderr)
    if not problems:
        print(f"ok: {args.root}")
    return 2 if problems else 0


if __name__ == "__main__":
    run_cli(PROG, main)
