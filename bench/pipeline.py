"""Pipeline benchmark: issue 7's figures, on `local` and `azurite`, in one run.

Per storage target, in one Spark session (the stream command runs as its own process):

1. batch  - the batch test (2 reference-size sets, validated against the ground
            truth) against a plain one-shot Spark batch job over the same landed
            files (bench/plain_batch.py), as a ratio. Goal: <= 2.0.
2. throughput - stream mode, 1 s trigger: the highest producer rate (Kafka
            records/s) at which the lag stays bounded for --sustain-seconds and
            drains within --drain-seconds (bench/throughput.py), and what bronze
            took in. Goal: >= 15,000 local, >= 12,000 azurite. Also whether
            `make stream`'s default producer rate (producer.DEFAULT_RATE) holds at
            its default trigger (LAKEHOUSE_PROCESSING_TIME). Goal: it does.
3. latency - landed-to-gold p50/p95 with a 1 s trigger (bench/latency.py). Goal: p95 < 10 s.
4. startstop - `python -m lakehouse_local run stream --no-live` as a subprocess: start to first
            batch, and Ctrl-C to exit (bench/startstop.py). Goals: <= 15 s, <= 10 s.
5. history - once mode over --history-sets small sets: set 2 vs the last set
            (bench/history.py). Goal: last / set 2 <= 1.2. Beside it, the mean of
            the later half of the sets over the earlier half (a trend, not a goal).
A summary table then shows every figure per target, azurite/local and the goals.
Starts a private Azurite on a free loopback port and removes what it creates.

    .venv/bin/python bench/pipeline.py                 # the full run (over an hour on 2 cores)
    .venv/bin/python bench/pipeline.py --quick         # a smoke run of a few minutes
    .venv/bin/python bench/pipeline.py --targets local --parts batch latency
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.platform.config import LakehouseConfig, load_config  # noqa: E402
from app.platform.lakehouse import Lakehouse  # noqa: E402
from bench import history, latency, plain_batch, startstop, throughput  # noqa: E402
from bench.common import Figure, Goal, percentile, print_summary, private_lakehouse  # noqa: E402
from bench.throughput import Search, TrialSettings  # noqa: E402

PARTS = ("batch", "throughput", "latency", "startstop", "history", "cloudfiles")
DEFAULT_PARTS = PARTS[:-1]
TARGETS = ("local", "azurite")
THROUGHPUT_GOAL = {"local": 15_000.0, "azurite": 12_000.0}
# Issue 7: `make stream`'s producer must land at a rate the pipeline sustains.
DEFAULT_RATE_HELD = "  make stream's default rate held (1 yes)"
UNITS = {DEFAULT_RATE_HELD: "yes"}

# Flag defaults for the full run, and for --quick (a smoke run of a few minutes).
FULL = {"scale": 1.0, "sustain_seconds": 300.0, "drain_seconds": 60.0, "rate_start": 10_000.0,
        "rate_factor": 1.5, "rate_steps": 3, "latency_sets": 8, "history_sets": 20,
        "history_scale": 0.1, "stop_after": 20.0, "warmup": True}
QUICK = {"scale": 0.05, "sustain_seconds": 30.0, "drain_seconds": 60.0, "rate_start": 2_000.0,
         "rate_factor": 1.5, "rate_steps": 1, "latency_sets": 3, "history_sets": 3,
         "history_scale": 0.05, "stop_after": 5.0, "warmup": False}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: tiny scales, short windows")
    p.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    p.add_argument("--skip-azurite", action="store_true", help="same as --targets local")
    p.add_argument("--parts", nargs="+", choices=PARTS, default=list(DEFAULT_PARTS))
    p.add_argument("--skip", nargs="+", choices=PARTS, default=[], help="parts to leave out")
    p.add_argument("--scale", type=float, help="batch part: scale of the 2 sets (1 = reference)")
    p.add_argument("--sustain-seconds", type=float, help="throughput: window per rate")
    p.add_argument("--drain-seconds", type=float, help="throughput: max drain after the window")
    p.add_argument("--sample-seconds", type=float, default=3.0, help="throughput: sampling")
    p.add_argument("--rate-start", type=float, help="throughput: first rate, records/s")
    p.add_argument("--rate-factor", type=float, help="throughput: next rate = x factor (or /)")
    p.add_argument("--rate-steps", type=int, help="throughput: most rates tried per target")
    p.add_argument("--latency-sets", type=int, help="latency: one-day sets landed")
    p.add_argument("--history-sets", type=int, help="history: sets run once after another")
    p.add_argument("--history-scale", type=float, help="history: scale of each set")
    p.add_argument("--stop-after", type=float,
                   help="startstop: seconds the command runs after its first batch before Ctrl-C")
    p.add_argument("--warmup", action=argparse.BooleanOptionalAction,
                   help="batch: warm the JVM with a tiny batch test and plain job first "
                        "(default on; off with --quick)")
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.skip_azurite:
        args.targets = ["local"]
    args.parts = [x for x in args.parts if x not in args.skip]
    return args


class Bench:
    """Runs the parts on each target and collects the figures."""

    def __init__(self, args: argparse.Namespace, base: LakehouseConfig, spark: Any,
                 home: Path) -> None:
        self.args, self.base, self.spark, self.home = args, base, spark, home
        self.values: dict[str, dict[str, float | None]] = {}
        self.notes: list[str] = []

    def put(self, figure: str, target: str, value: float | None) -> None:
        self.values.setdefault(figure, {})[target] = value

    def lakehouse(self, target: str) -> AbstractContextManager[Lakehouse]:
        return private_lakehouse(self.base, self.spark, target)

    def part(self, name: str, target: str, body: Callable[[], None]) -> None:
        """Run one part; a failure is reported and the bench goes on with the next part."""
        print(f"\n[{target}] {name}", flush=True)
        began = time.monotonic()
        try:
            body()
        except Exception as exc:
            message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            first = message.splitlines()[0] if message else type(exc).__name__
            self.notes.append(f"{target} {name} failed: {first[:300]}")
            print(f"  FAILED: {message[:2000]}", flush=True)
        print(f"  ({name} on {target} took {time.monotonic() - began:.0f}s)", flush=True)

    # --- 1. batch test vs plain batch job --------------------------------------------
    def batch(self, target: str) -> None:
        from data_generators import GeneratorSpec
        from lakehouse_local import batch_test, producer

        # Warm-up at a tiny scale: the first jobs of a JVM pay class loading and JIT,
        # which would be charged to whichever comes first.
        tiny = GeneratorSpec(seed=7, sets=2, scale=0.02)
        if self.args.warmup:
            with self.lakehouse(target) as lh:
                batch_test.batch_test(lh, tiny)
                producer.land_history(lh, tiny)
                for n in (1, 2):
                    producer.produce_set(lh, tiny, n)
                plain_batch.PlainBatchJob(lh).run()
        spec = GeneratorSpec(seed=42, sets=2, scale=self.args.scale)
        with self.lakehouse(target) as lh:
            report = batch_test.batch_test(lh, spec)
        layers = ", ".join(f"{k} {v:.1f}" for k, v in report.layer_seconds.items())
        print(f"  batch test {report.seconds:.1f}s (validated); layers: {layers}")
        with self.lakehouse(target) as lh:
            producer.land_history(lh, spec)
            manifest: dict[str, Any] = {}
            for n in range(1, spec.sets + 1):
                manifest = producer.produce_set(lh, spec, n)
            job = plain_batch.PlainBatchJob(lh)
            plain = job.run()
            counts = job.counts()
        per_table = ", ".join(f"{k} {v:.1f}" for k, v in plain.table_seconds.items())
        print(f"  plain batch job {plain.seconds:.1f}s; tables: {per_table}")
        differ = plain_batch.compare_counts(counts, manifest)
        for line in differ:
            print(f"  plain job differs from the ground truth: {line}")
        want = manifest["counts"]["workout_bpm_summary"]
        fair = counts["workout_bpm_summary"] == want
        print(f"  plain job summary rows {counts['workout_bpm_summary']} vs ground truth {want}: "
              f"{'equal' if fair else 'DIFFERENT, the ratio is not a fair comparison'}")
        self.put("batch test s", target, report.seconds)
        self.put("  of which run_once s", target, sum(report.layer_seconds.values()))
        self.put("plain batch job s", target, plain.seconds)
        self.put("batch test / plain job", target,
                 report.seconds / plain.seconds if fair else None)

    # --- 2. sustained throughput ----------------------------------------------------
    def throughput(self, target: str) -> None:
        a = self.args
        settings = throughput.TrialSettings(
            sustain_seconds=a.sustain_seconds, drain_seconds=a.drain_seconds,
            sample_seconds=a.sample_seconds)
        found = throughput.search(lambda: self.lakehouse(target), a.rate_start, a.rate_factor,
                                  a.rate_steps, settings)
        best = found.best
        tried = ", ".join(f"{t.rate:,.0f} {'held' if t.held else 'not held'}"
                          for t in found.trials)
        print(f"  rates tried: {tried}")
        if best is None:
            lowest = min(t.rate for t in found.trials)
            print(f"  no rate held: sustained throughput is below {lowest:,.0f} records/s")
        self.put("sustained Kafka records/s (held)", target,
                 best.produced_rate if best else None)
        self.put("  bronze records/s at that rate", target, best.bronze_rate if best else None)
        self.put("  drain after the producer stops s", target,
                 best.drain_seconds if best else None)
        self.put(DEFAULT_RATE_HELD, target, self.default_rate_held(target, found, settings))

    def default_rate_held(self, target: str, found: Search,
                          settings: TrialSettings) -> float:
        """1 when `make stream`'s default producer rate keeps the lag bounded on ``target``, else 0.

        Judged as `make stream` runs: its default rate at its default trigger
        (``LAKEHOUSE_PROCESSING_TIME``, 5 s unless set). The search's trials
        answer when they ran at that trigger (a trial at the rate, or a higher
        rate that held: a lighter load); otherwise one trial at the default
        rate and trigger, so every run says whether the command keeps up.
        """
        from dataclasses import replace

        from lakehouse_local.producer import DEFAULT_RATE

        stream = replace(settings, trigger=self.base.processing_time)
        same_trigger = stream.trigger.strip() == settings.trigger.strip()
        held = throughput.held_at(found, DEFAULT_RATE) if same_trigger else None
        if held is None:
            print(f"  default producer rate {DEFAULT_RATE:,.0f}/s at make stream's trigger:")
            held = throughput.fresh_trial(
                lambda: self.lakehouse(target), DEFAULT_RATE, stream).held
        else:
            print(f"  default producer rate {DEFAULT_RATE:,.0f}/s: "
                  f"{'held' if held else 'not held'} (by the trials above)")
        return 1.0 if held else 0.0

    # --- 3. landed-to-gold latency ----------------------------------------------------
    def latency(self, target: str) -> None:
        with self.lakehouse(target) as lh:
            lat = latency.landed_to_gold(lh, self.args.latency_sets)
        if not lat:
            raise RuntimeError("no set completed a session: nothing to time")
        p50, p95 = percentile(lat, 0.5), percentile(lat, 0.95)
        print(f"  landed -> gold: p50 {p50:.1f}s, p95 {p95:.1f}s (n={len(lat)})")
        self.put("landed-to-gold p50 s", target, p50)
        self.put("landed-to-gold p95 s", target, p95)

    # --- 4. the stream command: start and stop ------------------------------------------
    def startstop(self, target: str) -> None:
        out = startstop.measure(self.base, target, self.args.stop_after, self.home)
        def secs(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}s"

        print(f"  first batch running after {secs(out.first_batch_running_seconds)} "
              f"({out.first_running_table or 'none'}), done after "
              f"{secs(out.first_batch_seconds)} ({out.first_table or 'none'}), "
              "first bronze Kafka batch done after "
              f"{secs(out.first_kafka_batch_seconds)}; exit {secs(out.exit_seconds)} after "
              f"SIGINT, exit code {out.exit_code}")
        if out.first_kafka_batch_seconds is None or out.exit_seconds is None or out.exit_code:
            print("  its last output lines:\n    " + out.log_tail.replace("\n", "\n    "))
        self.put("stream command: start to first batch s", target,
                 out.first_batch_running_seconds)
        self.put("  to first batch done s", target, out.first_batch_seconds)
        self.put("  to first bronze Kafka batch done s", target, out.first_kafka_batch_seconds)
        self.put("stream command: Ctrl-C to exit s", target, out.exit_seconds)

    # --- 5. cost flat in history ---------------------------------------------------------
    def history(self, target: str) -> None:
        with self.lakehouse(target) as lh:
            curve = history.once_per_set(lh, self.args.history_sets, self.args.history_scale)
        print(f"  run once per set (s): {curve.compact()}")
        n = len(curve.seconds)
        self.put("once: set 2 s", target, curve.seconds[1] if n >= 2 else None)
        self.put(f"once: set {n} s", target, curve.seconds[-1] if n >= 3 else None)
        self.put(f"once: set {n} / set 2", target, curve.ratio)
        k = curve.half
        self.put(f"  mean of the last {k} sets / sets 2-{k + 1}", target, curve.halves_ratio)

    # --- optional: the cloudFiles stand-in's cost -------------------------------------------
    def cloudfiles(self, target: str) -> None:
        from app.pipeline import ddl
        from bench import cloudfiles_source
        from data_generators import GeneratorSpec
        from lakehouse_local import producer

        spec = GeneratorSpec(seed=42, sets=1, scale=self.args.scale)
        with self.lakehouse(target) as lh:
            ddl.setup(lh)
            producer.land_history(lh, spec)
            producer.produce_set(lh, spec, 1)
            for read in cloudfiles_source.READS:
                cf, builtin, rows = cloudfiles_source.compare(lh, read=read)
                print(
                    f"  {rows:,} Kafka lines as {read}: cloudFiles {cf:.2f}s, built-in "
                    f"{builtin:.2f}s (median of 3)"
                )
                self.put(f"cloudFiles / built-in {read} source", target, cf / builtin)

    def figures(self) -> list[Figure]:
        goals: dict[str, dict[str, Goal]] = {
            "batch test / plain job": dict.fromkeys(TARGETS, Goal(2.0)),
            "sustained Kafka records/s (held)": {
                t: Goal(v, at_least=True) for t, v in THROUGHPUT_GOAL.items()},
            "landed-to-gold p95 s": dict.fromkeys(TARGETS, Goal(10.0)),
            "stream command: start to first batch s": dict.fromkeys(TARGETS, Goal(15.0)),
            "stream command: Ctrl-C to exit s": dict.fromkeys(TARGETS, Goal(10.0)),
            DEFAULT_RATE_HELD: dict.fromkeys(TARGETS, Goal(1.0, at_least=True)),
        }
        out = []
        for name, values in self.values.items():
            unit = UNITS.get(name) or (
                "rec/s" if "records/s" in name else ("x" if "/" in name else "s"))
            goal = goals.get(name) or (dict.fromkeys(TARGETS, Goal(1.2))
                                       if name.startswith("once: set") and "/" in name else None)
            out.append(Figure(name, unit, values, goal))
        return out


@contextmanager
def storage_for(targets: list[str], home: Path) -> Iterator[LakehouseConfig]:
    """The base config, pointed at a private Azurite when a target needs one."""
    from emulators.azurite import free_port, running_azurite

    # A free port, so a teammate's Azurite on the default port is never borrowed.
    config = load_config(storage="local", home=str(home), azurite_port=free_port())
    context = running_azurite(config, home / "azurite") if "azurite" in targets else nullcontext(
        config)
    with context as base:
        yield base


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    from app.platform.session import build_session

    home = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    began = time.monotonic()
    bench: Bench | None = None
    print(f"pipeline bench: targets {', '.join(args.targets)}; parts {', '.join(args.parts)}"
          f"{' (quick)' if args.quick else ''}", flush=True)
    try:
        with storage_for(args.targets, home) as base:
            spark = build_session(base, app_name="bench-pipeline")
            bench = Bench(args, base, spark, home)
            try:
                for target in args.targets:
                    for part in args.parts:
                        bench.part(part, target, partial(getattr(bench, part), target))
            finally:
                spark.stop()  # before Azurite stops: a JVM outliving its storage can hang
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert bench is not None
    print(f"\n=== summary ({time.monotonic() - began:.0f}s, 2 reference sets = "
          f"GeneratorSpec(seed=42, sets=2, scale={args.scale:g})) ===")
    figures = bench.figures()
    print_summary(figures, args.targets)
    for note in bench.notes:
        print(f"note: {note}")
    if args.json:
        args.json.write_text(json.dumps(
            {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
             "figures": {f.name: f.values for f in figures}, "notes": bench.notes}, indent=1))
    return 1 if bench.notes else 0


if __name__ == "__main__":
    sys.exit(main())
