"""`python -m components.project_train start|finish`: the CLI of the `train-project` template's own tasks."""

from __future__ import annotations

from pathlib import Path

from components._common import DEFAULT_OUTPUTS_DIR, OneLineParser, run_cli

PROG = "components.project_train"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run `start` or `finish`; returns the exit code."""
    parser = OneLineParser(prog=PROG, description="Create a model project's run, or register what it logged.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "finish"):
        p = sub.add_parser(name, help=f"{name} the training run")
        p.add_argument("--project", type=Path, required=True, help="the checked-out model project")
        p.add_argument("--tracking-uri", required=True, help="MLflow tracking server URL")
        p.add_argument("--model-name", default="", help="default: sluicegate.yaml's name")
        p.add_argument("--entry-point", default="", help="default: sluicegate.yaml's train.entry_point")
        p.add_argument("--outputs-dir", type=Path, default=DEFAULT_OUTPUTS_DIR, help="where Argo reads outputs")
    start_p = sub.choices["start"]
    start_p.add_argument("--workflow-parameters", default="", help="{{workflow.parameters.json}}")
    start_p.add_argument("--git-repo", default="", help="tag git.repo")
    start_p.add_argument("--git-revision", default="", help="tag git.revision")
    start_p.add_argument("--workflow", default="", help="tag argo.workflow")
    finish_p = sub.choices["finish"]
    finish_p.add_argument("--run-id", required=True, help="the run `start` created")
    finish_p.add_argument("--entry-status", required=True, help="the entry point task's status (Succeeded, Failed)")
    args = parser.parse_args(argv)
    if args.command == "start":
        from components.project_train._start import start

        started = start(
            project_dir=args.project,
            tracking_uri=args.tracking_uri,
            model_name=args.model_name,
            entry_point=args.entry_point,
            workflow_parameters=args.workflow_parameters,
            git_repo=args.git_repo,
            git_revision=args.git_revision,
            workflow=args.workflow,
            outputs_dir=args.outputs_dir,
        )
        print(f"run {started.run_id}: {started.command}")
        return 0
    from components.project import load_config
    from components.project_train._finish import finish

    done = finish(
        project_dir=args.project,
        tracking_uri=args.tracking_uri,
        run_id=args.run_id,
        model_name=args.model_name or load_config(args.project).name,
        entry_status=args.entry_status,
        entry_point=args.entry_point,
        outputs_dir=args.outputs_dir,
    )
    print(f"registered {done.model_uri} (run {done.run_id}): {done.metrics}")
    return 0


if __name__ == "__main__":
    run_cli(PROG, main)
