"""`lakehouse COMMAND` (or `python -m lakehouse_local COMMAND`): the one local CLI.

Commands: up, down, status, generate, setup, run (once | stream), batch-test,
stream-test, produce, cleanup, catalog (plan | apply), cluster (up | down | status).
`lakehouse COMMAND --help` lists a command's own flags. Storage comes from
LAKEHOUSE_STORAGE (local, azurite, adls), the catalog from --env or LAKEHOUSE_ENV,
the Spark master from LAKEHOUSE_SPARK_MASTER (in-process by default). Every error
goes through one translation (`app.platform.errors.exit_status`): a clear message
and exit status 2 for the errors this project knows, the full trace and 1 for
anything else.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.platform.config import ENVIRONMENTS
from app.platform.errors import exit_status

if TYPE_CHECKING:
    from app.platform.config import LakehouseConfig
    from app.platform.lakehouse import Lakehouse
    from data_generators import GeneratorSpec

LAUNCHED = time.monotonic()  # `run stream` reports its start-up from here
PROG = "lakehouse"


# --- flag groups, each added only to the commands that use it -----------------
def _env(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", choices=ENVIRONMENTS, default=None, help="catalog (LAKEHOUSE_ENV)")


def _processing_time(p: argparse.ArgumentParser) -> None:
    p.add_argument("--processing-time", default=None,
                   help='stream trigger, e.g. "5 seconds" (LAKEHOUSE_PROCESSING_TIME)')


def _generator(p: argparse.ArgumentParser, sets: bool = True) -> None:
    if sets:
        p.add_argument("--sets", type=int, default=2, help="generated sets (default 2)")
    p.add_argument("--scale", type=float, default=None, help="generator scale")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--all-faults", action="store_true", help="generator faults on")


def _keep(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keep", action="store_true", help="keep the tables at the end")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler: Callable[[argparse.Namespace], int], text: str,
                *groups: Callable[[argparse.ArgumentParser], None],
                ) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=text, description=text)
        for group in groups:
            group(p)
        p.set_defaults(handler=handler)
        return p

    up = command("up", _up, "start the emulators (Docker if reachable, else local Azurite), "
                 "provision storage, build Spark's class archive")
    up.add_argument("--quick", action="store_true",
                    help="return at once if everything is already up (make stream)")
    command("down", _down, "stop what `up` started")
    status = command("status", _status, "what runs where; every table's rows and each "
                     "stream's checkpoint", _env)
    status.add_argument("--no-tables", action="store_true", help="skip the table counts")

    from data_generators.cli import add_arguments

    generate = command("generate", _generate, "land synthetic data sets and their ground truth "
                       "in the data zone (the same flags as python -m data_generators)")
    add_arguments(generate)

    command("setup", _setup, "create the schema, tables, view and landing folders; load the "
            "history (idempotent)", _env)

    run = command("run", _run, "run the pipeline: once (available-now) or stream")
    modes = run.add_subparsers(dest="mode", metavar="MODE", required=True)
    modes.add_parser("once", help="setup, history, then every layer available-now",
                     description="setup, history, then every layer available-now").set_defaults(
        handler=_run)
    _env(modes.choices["once"])
    stream = modes.add_parser(
        "stream", help="every stream continuously with a live view while a producer lands "
        "data (Ctrl-C stops)", description=_stream.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    stream.set_defaults(handler=_run)
    _env(stream)
    _processing_time(stream)
    _generator(stream, sets=False)
    pace = stream.add_mutually_exclusive_group()
    pace.add_argument("--rate", type=float, default=None,
                      help="Kafka records per second the producer lands "
                           "(default: producer.DEFAULT_RATE)")
    pace.add_argument("--pause", type=float, default=None,
                      help="seconds between the starts of two sets instead of --rate")
    stream.add_argument("--duration", type=float, default=None, help="stop after seconds")
    stream.add_argument("--no-producer", action="store_true", help="do not land data")
    stream.add_argument("--no-live", action="store_true",
                        help="print the table every 30 s instead of a live view (logs)")

    command("batch-test", _batch_test, "land sets one by one, run once after each, compare "
            "every table with the ground truth", _env, _generator, _keep)
    command("stream-test", _stream_test, "stream while sets land, compare every table with "
            "the ground truth once caught up", _env, _processing_time, _generator, _keep)
    produce = command("produce", _produce, "land generated sets (or a folder's files) in the "
                      "landing zone, as the upstream systems would", _env, _generator)
    produce.add_argument("--set", type=int, default=None, help="land only set N")
    produce.add_argument("--folder", type=Path, default=None, help="land the files from here")
    command("cleanup", _cleanup, "drop the schema (tables, views, data), remove landing data "
            "and checkpoints", _env)
    catalog = command("catalog", _catalog, "Unity Catalog as code: print the plan for "
                      "release/unity_catalog.yml, or apply it (locally, or to a workspace)")
    catalog.add_argument("action", choices=("plan", "apply"))
    catalog.add_argument("--file", type=Path, default=None,
                         help="the declarative file (default release/unity_catalog.yml)")
    catalog.add_argument("--workspace", action="store_true",
                         help="the workspace of DATABRICKS_HOST/DATABRICKS_TOKEN instead of the "
                              "local catalog emulation")
    _cluster_commands(command("cluster", _cluster, "a local Spark standalone cluster: "
                              "up, down, status (see docs/cluster.md)"))
    return parser


def _cluster_commands(cluster: argparse.ArgumentParser) -> None:
    actions = cluster.add_subparsers(dest="action", metavar="ACTION", required=True)
    text = ("start a master and N workers on 127.0.0.1; prints the URL for "
            "LAKEHOUSE_SPARK_MASTER")
    up = actions.add_parser("up", help=text, description=text)
    up.add_argument("--workers", type=int, default=2, help="workers (default 2)")
    up.add_argument("--cores", type=int, default=1, help="cores per worker (default 1)")
    up.add_argument("--memory", default="2g", help="memory per worker (default 2g)")
    up.add_argument("--port", type=int, default=7077, help="master port (default 7077)")
    up.add_argument("--webui-port", type=int, default=8080,
                    help="master web UI port (default 8080; workers take the next ones)")
    actions.add_parser("down", help="stop the master and workers `cluster up` started",
                       description="stop the master and workers `cluster up` started")
    actions.add_parser("status", help="master URL, workers alive, listening addresses",
                       description="master URL, workers alive, listening addresses")


def parse(argv: list[str] | None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("app").setLevel(logging.INFO)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the one translation of every command's errors
        return exit_status(exc)


# --- helpers ------------------------------------------------------------------
def _config(args: argparse.Namespace) -> LakehouseConfig:
    from app.platform.config import load_config

    env = getattr(args, "env", None)
    return load_config(**({"environment": env} if env else {}))


def spec_from(args: argparse.Namespace, sets: int, scale: float) -> GeneratorSpec:
    from data_generators import Faults, GeneratorSpec

    faults = Faults.all_on() if args.all_faults else Faults()
    return GeneratorSpec(seed=args.seed, sets=sets, scale=scale, faults=faults)


def _with_lakehouse(args: argparse.Namespace, work: Callable[[Lakehouse], int],
                    locked: str | None = None) -> int:
    """Provision the target, hold the environment's lock for ``locked`` commands, run."""
    from app.platform.lakehouse import Lakehouse
    from app.platform.lock import pipeline_lock

    lh = Lakehouse(_config(args))
    lh.target.provision()
    with pipeline_lock(lh, locked) if locked else nullcontext():
        return work(lh)


def _processing(args: argparse.Namespace, lh: Lakehouse) -> str:
    return str(args.processing_time or lh.config.processing_time)


# --- commands -----------------------------------------------------------------
def _up(args: argparse.Namespace) -> int:
    from app.platform.config import load_config
    from emulators import cli as emulators
    from lakehouse_local import spark_archive

    config = load_config()
    # --quick (`make stream`): nothing to do when all is up; the pipeline
    # provisions its own target as it starts.
    if not (args.quick and emulators.ready(config)):
        emulators.up(config)
        spark_archive.build(config)
    return 0


def _down(args: argparse.Namespace) -> int:
    from app.platform.config import load_config
    from emulators import cli as emulators

    emulators.down(load_config())
    return 0


def _status(args: argparse.Namespace) -> int:
    from emulators import cli as emulators
    from lakehouse_local.status import print_status

    config = _config(args)
    answering = emulators.status(config)
    from lakehouse_local.unity import status_lines

    print("\n".join(status_lines(config)))
    if not args.no_tables and (config.storage != "azurite" or answering):
        print_status(config)
    return 0


def _cluster(args: argparse.Namespace) -> int:
    from app.platform.config import load_config
    from emulators import spark_cluster

    config = load_config()
    if args.action == "up":
        spec = spark_cluster.ClusterSpec(
            workers=args.workers, cores=args.cores, memory=args.memory, port=args.port,
            webui_port=args.webui_port, worker_webui_base=args.webui_port + 1)
        running = spark_cluster.running_url(config)
        url = running or spark_cluster.up(config, spec)
        print(f"cluster {'already running' if running else 'up'}: {url} "
              f"(`lakehouse cluster status` lists its web UIs)\n"
              f"run commands on it with: export LAKEHOUSE_SPARK_MASTER={url}")
    elif args.action == "down":
        stopped = spark_cluster.down(config)
        print(f"cluster down: stopped {', '.join(stopped) if stopped else 'nothing'}")
    else:
        spark_cluster.print_status(spark_cluster.status(config))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from data_generators.cli import run

    return run(args)


def _setup(args: argparse.Namespace) -> int:
    from app.pipeline import ddl, history, run
    from lakehouse_local import producer

    def work(lh: Lakehouse) -> int:
        run.prepare(lh)
        ddl.validate(lh)
        days = history.validate_history(lh) if producer.latest_manifest(lh) else 0
        print(f"setup ok: {lh.database} ({days} days of history)")
        return 0

    return _with_lakehouse(args, work)


def _cleanup(args: argparse.Namespace) -> int:
    from app.pipeline import ddl

    def work(lh: Lakehouse) -> int:
        ddl.cleanup(lh)
        print(f"cleaned up {lh.database}, landing data and checkpoints")
        return 0

    return _with_lakehouse(args, work)


def _catalog(args: argparse.Namespace) -> int:
    from lakehouse_local import unity

    return unity.run(_config(args), args.action, args.file, args.workspace)


def _run(args: argparse.Namespace) -> int:
    from app.pipeline import run

    def work(lh: Lakehouse) -> int:
        if args.mode == "stream":
            return _stream(args, lh, _processing(args, lh))
        timings = run.run_once(lh)
        print("run once: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
        return 0

    return _with_lakehouse(args, work, locked=args.mode)


def _batch_test(args: argparse.Namespace) -> int:
    from lakehouse_local import batch_test

    def work(lh: Lakehouse) -> int:
        report = batch_test.batch_test(lh, spec_from(args, args.sets, args.scale or 1.0),
                                       keep=args.keep)
        print(f"batch test passed: {len(report.sets)} sets in {report.seconds:.1f}s")
        return 0

    return _with_lakehouse(args, work, locked="batch-test")


def _stream_test(args: argparse.Namespace) -> int:
    from lakehouse_local import stream_test

    def work(lh: Lakehouse) -> int:
        report = stream_test.stream_test(
            lh, spec_from(args, args.sets, args.scale or 1.0), _processing(args, lh),
            keep=args.keep,
        )
        print(f"stream test passed: {len(report.sets)} sets in {report.seconds:.1f}s")
        return 0

    return _with_lakehouse(args, work, locked="stream-test")


def _produce(args: argparse.Namespace) -> int:
    from lakehouse_local import producer

    def work(lh: Lakehouse) -> int:
        if args.folder:
            landed = producer.land_folder(lh, args.folder)
            print(f"landed {len(landed)} files from {args.folder}")
            return 0
        spec = spec_from(args, max(args.sets, args.set or 0), args.scale or 1.0)
        first = args.set or producer.landed_sets(lh) + 1
        last = args.set or args.sets
        if first == 1:
            producer.land_history(lh, spec)
        for n in range(first, last + 1):
            m = producer.produce_set(lh, spec, n)
            print(f"landed set {n}: {m['counts']['kafka_multiplex_bz']:,} Kafka records "
                  "(cumulative)")
        return 0

    return _with_lakehouse(args, work)


def _stream(args: argparse.Namespace, lh: Lakehouse, processing_time: str) -> int:
    """Every stream continuously, a producer landing sets, a live view; Ctrl-C stops in seconds.

    Start-up overlaps what it can: the producer lands the history and its
    first set while Spark starts. The first Ctrl-C only sets a flag (a
    KeyboardInterrupt raised inside a Py4J call would break the gateway); the
    view returns, the producer stops between two files, batches in flight get
    a few seconds' grace, then every stream still running is stopped at once
    (interrupting a batch is safe: the checkpoint replays it and every writer
    is idempotent). A second Ctrl-C exits at once.
    """
    import os
    import signal
    import threading

    from app.pipeline import run
    from lakehouse_local import live, producer

    began = LAUNCHED
    if args.no_live or not sys.stdout.isatty():  # a log keeps every line even if killed
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    stop = threading.Event()
    prod = None
    if not args.no_producer:
        spec = spec_from(args, producer.STREAM_SETS, args.scale or producer.STREAM_SCALE)
        prod = producer.ContinuousProducer(lh, spec, pause=args.pause, rate=args.rate)
        prod.start()  # lands the history and the first set while Spark starts
    lh.spark  # noqa: B018 - start Spark first: its SparkContext installs its own SIGINT handler

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            # Second Ctrl-C: leave now. Whatever was in flight replays from the checkpoints.
            os._exit(130)
        stop.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    live.report_first_batch(lambda: run.active_queries(lh).values(), began, stop)
    try:
        if prod is not None:
            prod.history_ready.wait()  # the history loader in start_all reads it
        queries = run.start_all(lh, processing_time, cancel=stop)
        print(f"{len(queries)} streams started {time.monotonic() - began:.1f}s after launch")
        try:
            if not stop.is_set():  # Ctrl-C while starting: straight to the stop
                live.show(lh, run.by_stream(lh, queries), prod, args.duration, stop=stop,
                          interactive=not args.no_live)
        finally:
            stopping = time.monotonic()
            print(f"\nstopping: the producer, then the streams (batches in flight get "
                  f"{run.GRACE_SECONDS:.0f} s; Ctrl-C again exits at once; checkpoints are kept)")
            if prod is not None:
                prod.stop()
                prod.join(timeout=run.GRACE_SECONDS)
            run.stop_gracefully(queries)
            run.stop_gracefully(list(run.active_queries(lh).values()))  # any started late
            print(f"streams stopped in {time.monotonic() - stopping:.1f}s")
    finally:
        signal.signal(signal.SIGINT, previous)
    if prod is not None and prod.error is not None:
        print(f"producer failed: {prod.error}", file=sys.stderr)
        return 1
    print(f"stopped; sets landed this run: {_sets_text(prod.landed) if prod else 'none'}; "
          "run again to resume from the checkpoints")
    return 0


def _sets_text(sets: list[int]) -> str:
    if not sets:
        return "none"
    return str(sets[0]) if len(sets) == 1 else f"{sets[0]}-{sets[-1]}"


if __name__ == "__main__":
    sys.exit(main())
