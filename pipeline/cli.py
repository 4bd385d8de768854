"""The command line: ``python -m pipeline run | refresh | rollback | validate | demo-data | config-docs``.

Exit statuses: 0 ok, 1 a bug (with a traceback), 2 bad input, 3 a source unavailable, 75 another run
holds the lock, 128 + n a run stopped by signal n (143 SIGTERM, 130 SIGINT, 129 SIGHUP).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pipeline.core.errors import Killed, PipelineError
from pipeline.core.log import log
from pipeline.core.stages import STAGE_NAMES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Social balance pipeline: ingest, mix, access, scenarios, publish.",
    )
    parser.add_argument("--quiet", action="store_true", help="print only warnings and errors (for scheduled runs)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _command(commands, "run", "run the stages that are out of date", "Run the pipeline's stages in order, skipping those whose inputs and config did not change.")
    run.add_argument("--stage", action="append", choices=STAGE_NAMES, metavar="NAME", help=f"run only this stage (repeatable): {', '.join(STAGE_NAMES)}")
    run.add_argument("--force", action="store_true", help="re-run the stages even when nothing changed")

    refresh = _command(commands, "refresh", "fetch sources, run what is out of date, publish (nightly)", "Fetch the configured http(s) sources (unchanged ones are skipped), run every out-of-date stage, and publish atomically. Exit 3 when a required source is unavailable, 75 when another run holds the lock.")
    refresh.add_argument("--force", action="store_true", help="re-run every stage even when nothing changed")

    _command(commands, "rollback", "put the previous published maps back", "Swap the previously published pages and areas files back in (one step).")
    _command(commands, "validate", "check the config and the inputs, write nothing", "Check the config against its schema (every mistake listed at once), then read and check every configured input as ingest would; write nothing.")

    demo = _command(commands, "demo-data", "write a synthetic demo municipality", "Write a synthetic demonstration municipality (deterministic for a seed) in the formats analysts receive.", config=False)
    demo.add_argument("--out", type=Path, default=Path("data/raw"), help="folder to write to (default data/raw)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument("--scale", type=float, default=1.0, help="size factor: 10 makes a ten times larger municipality")
    docs = _command(commands, "config-docs", "write the config reference docs/configuration.md", "Write the reference table of every config key (type, unit, range, default, meaning), generated from the schema and pipeline/defaults.yaml.", config=False)
    docs.add_argument("--out", type=Path, default=Path("docs/configuration.md"), help="file to write (default docs/configuration.md)")
    return parser


def _command(commands, name: str, summary: str, description: str, *, config: bool = True) -> argparse.ArgumentParser:
    """A subcommand; with `--config` unless it needs none, and `--quiet` also after the command's name."""
    command = commands.add_parser(name, help=summary, description=description)
    if config:
        command.add_argument("--config", type=Path, default=None, help="config file (default config/pipeline.yaml)")
    command.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return command


_console: logging.Handler | None = None


def _configure_logging(quiet: bool) -> None:
    """Progress to stderr (warnings and errors only with --quiet); the run's log file gets everything."""
    global _console
    if _console is not None:
        log.removeHandler(_console)
    _console = logging.StreamHandler(sys.stderr)
    _console.setLevel(logging.WARNING if quiet else logging.INFO)
    _console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    log.addHandler(_console)
    log.setLevel(logging.INFO)


def _configure_progress(config, quiet: bool) -> None:
    """A progress bar on a terminal; log lines elsewhere (hidden by --quiet with the other INFO lines)."""
    from pipeline.core.progress import configure

    configure(bar=not quiet and sys.stderr.isatty(), every_s=config["progress_every_s"])


def _execute(args: argparse.Namespace, *, fetch: bool) -> int:
    """One locked, logged run: fetch sources (refresh), run the out-of-date stages, record what happened.

    A run stopped by SIGTERM, SIGINT or SIGHUP records itself as killed, with the signal (pipeline/core/signals.py).
    """
    from pipeline.core.atomic import write_json
    from pipeline.core.config import load_config
    from pipeline.core.lock import run_lock
    from pipeline.core.runner import run_record, run_stages
    from pipeline.core.runs import (
        append_history,
        history_line,
        mark_running,
        new_run_id,
        now_iso,
        record_killed_runs,
        start_run_log,
        stop_run_log,
    )
    from pipeline.core.signals import stop_on_signals

    config = load_config(args.config)
    _configure_progress(config, args.quiet)
    run_id, started = new_run_id(), now_iso()
    config = config.with_overrides({"run": {"id": run_id, "started": started}})
    handler = start_run_log(config, run_id)
    record_killed_runs(config)  # earlier runs killed outright get their line in runs.jsonl now
    running = mark_running(config, run_id, started)
    results, status, error, stopped_by = [], "ok", None, None
    with stop_on_signals() as stop:
        try:
            with run_lock(config.resolve(config["paths"]["lock"]), started):
                if fetch:
                    from pipeline.core.refresh import fetch_sources

                    fetch_sources(config)
                results = run_stages(config, getattr(args, "stage", None), force=args.force,
                                     progress=None if args.quiet else log.info)
        except Killed as err:
            status, error, stopped_by = err.status, str(err), err.signal_name
            raise
        except PipelineError as err:
            status, error = err.status, str(err)
            raise
        except BaseException as err:
            status, error = "error", f"{type(err).__name__}: {err}"
            raise
        finally:
            with stop.held():  # the record is written whole, whatever signal arrives now
                record = run_record(config, run_id, started, results, status, error, signal=stopped_by)
                if status != "locked":
                    write_json(record, config.processed("run.json"))
                append_history(config, history_line(record))
                running.unlink(missing_ok=True)
                log.info("Run %s ended: %s", run_id, status)
                stop_run_log(handler)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    return _execute(args, fetch=False)


def _cmd_refresh(args: argparse.Namespace) -> int:
    return _execute(args, fetch=True)


def _cmd_rollback(args: argparse.Namespace) -> int:
    from pipeline.core.config import load_config
    from pipeline.publish import rollback

    restored = rollback(load_config(args.config))
    log.info("Rolled back: the published maps are now %s", restored)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from pipeline.core.config import load_config
    from pipeline.ingest import validate

    config = load_config(args.config)  # the schema check: a config mistake stops here, before any input is read
    log.info("Config %s: every key known and in range", config.path)
    counts = validate(config)
    for layer, rows in counts.items():
        log.info("%s: %s rows, valid", layer, f"{rows:,}")
    return 0


def _cmd_config_docs(args: argparse.Namespace) -> int:
    from pipeline.core.config import write_configuration_docs

    log.info("Wrote the config reference %s", write_configuration_docs(args.out))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import generate

    paths = generate(args.out, seed=args.seed, scale=args.scale)
    log.info("Wrote %d demo files to %s (synthetic demonstration data)", len(paths), args.out)
    return 0


COMMANDS = {
    "run": _cmd_run, "refresh": _cmd_refresh, "rollback": _cmd_rollback, "validate": _cmd_validate, "demo-data": _cmd_demo,
    "config-docs": _cmd_config_docs,
}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the command, and turn errors into exit statuses."""
    args = _parser().parse_args(argv)
    _configure_logging(args.quiet)
    try:
        return COMMANDS[args.command](args)
    except (PipelineError, Killed) as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
