"""``python -m data_generators``: land synthetic sets in the data zone, with a summary."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.platform.errors import ConfigError
from data_generators.continuous import run_continuous
from data_generators.engine import Generator, SetResult
from data_generators.faults import FileResult
from data_generators.sinks import FolderSink, Sink, StoreSink
from data_generators.spec import ALL_FAULTS_RATES, Faults, GeneratorSpec

FAULT_FLAGS = {
    "duplicates": "write a record twice",
    "duplicate_files": "land a file twice (-dup)",
    "late": "move a Kafka record into the next file",
    "invalid_bpm": "heartrate <= 0",
    "malformed": "add a broken line (broken JSON, wrong type, missing field)",
    "seconds_timestamps": "Kafka timestamp in seconds instead of milliseconds",
    "crlf": "CRLF line endings (per file)",
    "blank_lines": "trailing blank lines (per file)",
}


DESCRIPTION = ("Land synthetic fitness-tracker sets (docs/domain.md formats) and their ground "
               "truth in the data zone.")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m data_generators", description=DESCRIPTION)
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The generator's flags (also those of `lakehouse generate`)."""
    p.add_argument("--sets", type=int, default=None, help="number of sets (default 2; "
                   "1000 in continuous mode)")
    p.add_argument("--set", dest="only", type=int, default=None,
                   help="land only this set (1-based); earlier sets' tallies are caught up")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scale", type=float, default=1.0, help="multiplies users (and BPM) per set")
    p.add_argument("--users-per-set", type=int, default=4)
    p.add_argument("--start", default="2023-03-06", help="UTC start date of set 1 (YYYY-MM-DD)")
    p.add_argument("--target", choices=("local", "azurite", "adls"), default="local")
    p.add_argument("--out", type=Path, default=None,
                   help="a local folder to use as the data zone (overrides --target)")
    faults = p.add_argument_group("faults (each a rate in [0, 1]; the flag alone uses the "
                                  "--all-faults rate)")
    for name, text in FAULT_FLAGS.items():
        faults.add_argument(f"--{name.replace('_', '-')}", type=float, nargs="?", default=0.0,
                            const=ALL_FAULTS_RATES[name], help=f"{text} "
                            f"(flag alone: {ALL_FAULTS_RATES[name]})")
    faults.add_argument("--all-faults", action="store_true", help="every fault at its default rate")
    faults.add_argument("--late-max-seconds", type=int, default=600)
    stream = p.add_argument_group("continuous (stream) mode")
    stream.add_argument("--rate", type=float, default=None, help="Kafka records per second")
    stream.add_argument("--duration", type=float, default=60.0, help="seconds to run")
    stream.add_argument("--interval", type=float, default=5.0, help="seconds between files")


def spec_from(args: argparse.Namespace) -> GeneratorSpec:
    rates = {name: getattr(args, name) for name in FAULT_FLAGS}
    if args.all_faults:
        rates = {name: rate or ALL_FAULTS_RATES[name] for name, rate in rates.items()}
    sets = args.sets if args.sets is not None else (1000 if args.rate else 2)
    start = datetime.fromisoformat(args.start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return GeneratorSpec(
        seed=args.seed, sets=sets, scale=args.scale, faults=Faults(**rates),
        users_per_set=args.users_per_set, start=start, late_max_seconds=args.late_max_seconds,
    )


def sink_from(args: argparse.Namespace) -> Sink:
    if args.out is not None:
        return FolderSink(args.out)
    from app.platform.config import load_config
    from app.platform.storage import LocalStore, storage_target

    target = storage_target(load_config(storage=args.target))
    if args.target != "adls":
        target.provision()
    store = target.store("data_zone")
    if isinstance(store, LocalStore):
        return FolderSink(store.root)  # rename in place: no extra copy
    sink = StoreSink(store)
    sink.label = f"{args.target} data zone ({target.url('data_zone')})"
    return sink


def summary(results: list[SetResult]) -> Table:
    table = Table(title="landed")
    for col in ("set", "source", "files", "records", "MB", "malformed", "seconds", "records/s"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for r in results:
        for name, st in r.sources.items():
            if st.files:
                table.add_row(str(r.set), name, str(st.files), f"{st.records:,}",
                              f"{st.bytes / 1e6:.1f}", str(st.malformed), "", "")
        table.add_row(str(r.set), "[b]total", str(len(r.files)), f"{r.records:,}", "", "",
                      f"{r.seconds:.2f}", f"{r.records / max(r.seconds, 1e-9):,.0f}",
                      end_section=True)
    return table


def truth_table(result: SetResult) -> Table:
    table = Table(title=f"ground truth after set {result.set} (ground_truth/set-"
                  f"{result.set:04d}.json)")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in result.manifest["counts"].items():
        table.add_row(name, f"{count:,}")
    return table


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except Exception as exc:  # the one translation of errors at entry points
        from app.platform.errors import exit_status

        return exit_status(exc)


def run(args: argparse.Namespace) -> int:
    """Land what ``args`` (see ``add_arguments``) asks for and print a summary."""
    console = Console()
    spec = spec_from(args)
    sink = sink_from(args)
    on = {k: v for k, v in spec.faults.as_dict().items() if v}
    console.print(f"landing in [b]{sink.label}[/b]: seed={spec.seed} scale={spec.scale} "
                  f"users/set={spec.users_in_set} faults={on or 'off'}")
    if args.rate:
        def show(res: FileResult) -> None:
            console.log(f"{', '.join(res.paths)}: {res.records:,} records")

        results = run_continuous(spec, sink, args.rate, args.duration, interval=args.interval,
                                 on_file=show)
    else:
        gen = Generator(spec)
        sets = [args.only] if args.only else list(range(1, spec.sets + 1))
        if args.only:
            if not 1 <= args.only <= spec.sets:
                raise ConfigError(f"--set {args.only} is outside 1..{spec.sets}")
            gen.catch_up(args.only - 1, sink)
        results = []
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as bar:
            for n in sets:
                task = bar.add_task(f"set {n}", total=gen.planned_records(n))
                results.append(gen.write_set(n, sink, partial(bar.advance, task)))
                bar.update(task, completed=bar.tasks[task].total)
    console.print(summary(results))
    if results:
        console.print(truth_table(results[-1]))
    return 0
