"""`python -m app.pipeline once|stream|batch-test|stream-test|setup|cleanup|produce|status`.

The three notebook widgets are --env, the command (once or stream) and
--processing-time. Storage comes from LAKEHOUSE_STORAGE (local, azurite, adls).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from app.platform.config import ENVIRONMENTS
from app.platform.errors import LakehouseError

LAUNCHED = time.monotonic()  # `stream` reports its start-up from here
COMMANDS = ("once", "stream", "batch-test", "stream-test", "setup", "cleanup", "produce",
            "status")
# Commands that run streams hold the environment's lock (app/platform/lock.py).
LOCKED = ("once", "stream", "batch-test", "stream-test")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m app.pipeline", description=__doc__)
    p.add_argument("command", choices=COMMANDS)
    p.add_argument("--env", choices=ENVIRONMENTS, default=None, help="catalog (LAKEHOUSE_ENV)")
    p.add_argument("--processing-time", default=None, help='stream trigger, e.g. "5 seconds"')
    p.add_argument("--sets", type=int, default=2, help="generated sets (tests, produce)")
    p.add_argument("--set", type=int, default=None, help="produce: land only set N")
    p.add_argument("--scale", type=float, default=None, help="generator scale")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--all-faults", action="store_true", help="generator faults on")
    p.add_argument("--folder", type=Path, default=None, help="produce: land files from here")
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--rate", type=float, default=None,
                      help="stream: Kafka records per second the producer lands "
                           "(default: producer.DEFAULT_RATE)")
    pace.add_argument("--pause", type=float, default=None,
                      help="stream: seconds between the starts of two sets instead of --rate")
    p.add_argument("--duration", type=float, default=None, help="stream: stop after seconds")
    p.add_argument("--no-producer", action="store_true", help="stream: do not land data")
    p.add_argument("--no-live", action="store_true",
                   help="stream: print the table every 30 s instead of a live view (logs)")
    p.add_argument("--keep", action="store_true", help="tests: keep the tables at the end")
    return p.parse_args(argv)


def spec_from(args: argparse.Namespace, sets: int, scale: float):  # type: ignore[no-untyped-def]
    from data_generators import Faults, GeneratorSpec

    faults = Faults.all_on() if args.all_faults else Faults()
    return GeneratorSpec(seed=args.seed, sets=sets, scale=scale, faults=faults)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("app").setLevel(logging.INFO)
    from app.platform.config import load_config
    from app.platform.lakehouse import Lakehouse

    overrides = {"environment": args.env} if args.env else {}
    try:
        config = load_config(**overrides)
        processing_time = args.processing_time or config.processing_time
        if args.command == "status":
            from app.pipeline.status import print_status

            print_status(config)
            return 0
        lh = Lakehouse(config)
        lh.target.provision()
        from app.platform.lock import pipeline_lock

        with pipeline_lock(lh, args.command) if args.command in LOCKED else nullcontext():
            return dispatch(args, lh, processing_time)
    except LakehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace, lh, processing_time: str) -> int:  # type: ignore[no-untyped-def]
    from app.pipeline import batch_test, ddl, history, producer, run, stream_test

    cmd = args.command
    if cmd == "setup":
        run.prepare(lh)
        ddl.validate(lh)
        days = history.validate_history(lh) if producer.latest_manifest(lh) else 0
        print(f"setup ok: {lh.database} ({days} days of history)")
    elif cmd == "cleanup":
        ddl.cleanup(lh)
        print(f"cleaned up {lh.database}, landing data and checkpoints")
    elif cmd == "once":
        timings = run.run_once(lh)
        print("run once: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    elif cmd == "produce":
        if args.folder:
            landed = producer.land_folder(lh, args.folder)
            print(f"landed {len(landed)} files from {args.folder}")
        else:
            spec = spec_from(args, max(args.sets, args.set or 0), args.scale or 1.0)
            first = args.set or producer.landed_sets(lh) + 1
            last = args.set or args.sets
            if first == 1:
                producer.land_history(lh, spec)
            for n in range(first, last + 1):
                m = producer.produce_set(lh, spec, n)
                print(f"landed set {n}: {m['counts']['kafka_multiplex_bz']:,} Kafka records "
                      "(cumulative)")
    elif cmd == "batch-test":
        report = batch_test.batch_test(lh, spec_from(args, args.sets, args.scale or 1.0),
                                       keep=args.keep)
        print(f"batch test passed: {len(report.sets)} sets in {report.seconds:.1f}s")
    elif cmd == "stream-test":
        report = stream_test.stream_test(
            lh, spec_from(args, args.sets, args.scale or 1.0), processing_time, keep=args.keep
        )
        print(f"stream test passed: {len(report.sets)} sets in {report.seconds:.1f}s")
    elif cmd == "stream":
        return stream(args, lh, processing_time)
    return 0


def stream(args: argparse.Namespace, lh, processing_time: str) -> int:  # type: ignore[no-untyped-def]
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

    from app.pipeline import live, producer, run

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

    def on_sigint(signum: int, frame: object) -> None:
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
                live.show(lh, run.active_queries(lh), prod, args.duration, stop=stop,
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
