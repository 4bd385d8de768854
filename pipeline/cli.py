"""The command line: ``python -m pipeline run | validate | demo-data``.

Exit statuses: 0 ok, 1 a bug (with a traceback), 2 bad input, 3 a source unavailable, 75 another run
holds the lock.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pipeline._errors import PipelineError
from pipeline._log import log
from pipeline.stages import STAGE_NAMES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Social balance pipeline: ingest, mix, access, scenarios, publish.",
    )
    parser.add_argument("--quiet", action="store_true", help="print only warnings and errors (for scheduled runs)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the stages that are out of date", description="Run the pipeline's stages in order, skipping those whose inputs and config did not change.")
    run.add_argument("--stage", action="append", choices=STAGE_NAMES, metavar="NAME", help=f"run only this stage (repeatable): {', '.join(STAGE_NAMES)}")
    run.add_argument("--config", type=Path, default=None, help="config file (default config/pipeline.yaml)")
    run.add_argument("--force", action="store_true", help="re-run the stages even when nothing changed")
    run.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)

    validate = commands.add_parser("validate", help="check the inputs and config, write nothing", description="Read and check every configured input as ingest would, and write nothing.")
    validate.add_argument("--config", type=Path, default=None, help="config file (default config/pipeline.yaml)")
    validate.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)

    demo = commands.add_parser("demo-data", help="write a synthetic demo municipality", description="Write a synthetic demonstration municipality (deterministic for a seed) in the formats analysts receive.")
    demo.add_argument("--out", type=Path, default=Path("data/raw"), help="folder to write to (default data/raw)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument("--scale", type=float, default=1.0, help="size factor: 10 makes a ten times larger municipality")
    demo.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    return parser


def _configure_logging(quiet: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from pipeline.config import load_config
    from pipeline.io import write_json
    from pipeline.runner import new_run_id, now_iso, run_record, run_stages

    config = load_config(args.config)
    run_id, started = new_run_id(), now_iso()
    config = config.with_overrides({"run": {"id": run_id, "started": started}})
    progress = None if args.quiet else log.info
    results = run_stages(config, args.stage, force=args.force, progress=progress)
    write_json(run_record(config, run_id, started, results, "ok"), config.processed("run.json"))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from pipeline.config import load_config
    from pipeline.ingest import validate

    counts = validate(load_config(args.config))
    for layer, rows in counts.items():
        log.info("%s: %s rows, valid", layer, f"{rows:,}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import generate

    paths = generate(args.out, seed=args.seed, scale=args.scale)
    log.info("Wrote %d demo files to %s (synthetic demonstration data)", len(paths), args.out)
    return 0


COMMANDS = {"run": _cmd_run, "validate": _cmd_validate, "demo-data": _cmd_demo}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the command, and turn errors into exit statuses."""
    args = _parser().parse_args(argv)
    _configure_logging(args.quiet)
    try:
        return COMMANDS[args.command](args)
    except PipelineError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
