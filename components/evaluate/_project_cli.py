"""`python -m components.evaluate prepare|decide`: the model-project tasks of the `evaluate-project` template.

Called by `components.evaluate.__main__` when its first argument is `prepare` or `decide`. The task
between them (`score`) runs `components/evaluate/_score.py` in the project's environment.
"""

from __future__ import annotations

from pathlib import Path

from components._common import DEFAULT_OUTPUTS_DIR, OneLineParser, check_reachable

__all__ = ["PROJECT_COMMANDS", "project_main"]

PROG = "components.evaluate"
PROJECT_COMMANDS = ("prepare", "decide")


def project_main(argv: list[str]) -> int:
    """Parse `prepare ...` or `decide ...` and run it; returns the exit code."""
    parser = OneLineParser(prog=PROG, description="Evaluate a model project's candidate version.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("prepare", "check the data, download the models"), ("decide", "gate on the scores")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--project", type=Path, required=True, help="the checked-out model project")
        p.add_argument("--candidate-version", required=True, help="the model version to judge")
        p.add_argument("--tracking-uri", required=True, help="MLflow tracking server URL")
        p.add_argument("--model-name", default="", help="default: sluicegate.yaml's name")
        p.add_argument("--outputs-dir", type=Path, default=DEFAULT_OUTPUTS_DIR, help="where Argo reads outputs")
    sub.choices["prepare"].add_argument("--out", type=Path, required=True, help="where the score step reads")
    sub.choices["prepare"].add_argument("--rows", type=Path, default=None, help="rows for the stress test (JSON)")
    sub.choices["decide"].add_argument("--scores", type=Path, required=True, help="what the score step wrote")
    sub.choices["decide"].add_argument("--workflow", default="", help="tag argo.workflow on the evaluation run")
    args = parser.parse_args(argv)
    from components.project import load_config

    load_config(args.project)  # a bad sluicegate.yaml answers before MLflow loads
    check_reachable(args.tracking_uri)
    if args.command == "prepare":
        from components.evaluate._prepare import prepare

        prepared = prepare(
            project=args.project,
            candidate_version=args.candidate_version,
            tracking_uri=args.tracking_uri,
            out=args.out,
            rows=args.rows,
            model_name=args.model_name,
            outputs_dir=args.outputs_dir,
        )
        against = f"champion v{prepared.champion_version}" if prepared.champion_version else "the constant model"
        print(f"prepared {prepared.model_name} v{prepared.candidate_version} against {against}")
        return 0
    from components.evaluate._gate import gate

    result = gate(
        project=args.project,
        scores=args.scores,
        candidate_version=args.candidate_version,
        tracking_uri=args.tracking_uri,
        model_name=args.model_name,
        workflow=args.workflow,
        outputs_dir=args.outputs_dir,
    )
    print(result.summary())
    return 0
