"""Pipeline benchmark: batch test on local vs azurite, time per layer, stream latency, cloudFiles.

In one run and one Spark session:
1. the batch test (two reference-size sets, checked against the ground truth)
   on `local` and on `azurite`, their times and ratio, and the time per layer;
2. stream mode with a 1-second trigger: latency from a set's files landing to
   their sessions in gold (workout_bpm_summary), p50 and p95;
3. the cost of the local cloudFiles stand-in against Spark's built-in file
   source reading the same Kafka landing files.
Starts a private Azurite on a free loopback port if none answers.

    .venv/bin/python bench/pipeline.py [--scale 1.0] [--latency-sets 8] [--skip-azurite]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.pipeline import batch_test, ddl, producer, run, settings  # noqa: E402
from app.pipeline.schemas import KAFKA_RECORD  # noqa: E402
from app.platform.config import LakehouseConfig, load_config  # noqa: E402
from app.platform.lakehouse import Lakehouse  # noqa: E402
from app.platform.session import build_session  # noqa: E402
from data_generators import GeneratorSpec  # noqa: E402
from emulators.azurite import running_azurite  # noqa: E402


def make_lakehouse(base: LakehouseConfig, spark, target: str) -> Lakehouse:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:8]
    lh = Lakehouse(
        base.replace(
            storage=target,
            schema=f"bench_{tag}",
            data_zone_container=f"bench-landing-{tag}",
            checkpoint_container=f"bench-ckpt-{tag}",
            tables_container=f"bench-tables-{tag}",
        ),
        spark,
    )
    lh.target.provision()
    return lh


def remove(lh: Lakehouse) -> None:
    try:
        ddl.cleanup(lh)
        lh.target.deprovision()
    except Exception as exc:  # a benchmark's leftovers must not hide its figures
        print(f"  (cleanup of {lh.database} failed: {exc})")


def bench_batch(lh: Lakehouse, spec: GeneratorSpec) -> batch_test.BatchTestReport:
    return batch_test.batch_test(lh, spec)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def bench_latency(lh: Lakehouse, sets: int) -> list[float]:
    """Land one-day sets one by one; time until gold holds every session they complete."""
    spec = GeneratorSpec(seed=5, sets=sets, scale=0.25, visits_per_user=1)
    ddl.cleanup(lh)
    producer.land_history(lh, spec)
    queries = run.start_all(lh, "1 second")
    gold = lh.table("workout_bpm_summary")
    latencies = []
    try:
        for n in range(1, sets + 1):
            began = time.perf_counter()
            manifest = producer.produce_set(lh, spec, n)
            landed = time.perf_counter()
            want = manifest["counts"]["workout_bpm_summary"]
            deadline = landed + 300
            while lh.spark.table(gold).count() < want:
                for q in queries:
                    if q.exception() is not None:
                        raise RuntimeError(f"{q.name} failed: {q.exception()}")
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"set {n}: gold never reached {want} rows")
                time.sleep(0.1)  # polling the gold table's row count
            # From the moment the last file of the set landed (landing itself is the producer's).
            latencies.append(time.perf_counter() - landed)
            print(f"  set {n}: landed in {landed - began:.1f}s, in gold {latencies[-1]:.1f}s later")
    finally:
        run.stop_gracefully(queries)
    return latencies


def bench_cloudfiles(lh: Lakehouse, rounds: int = 3) -> tuple[float, float, int]:
    """Median seconds: the cloudFiles stand-in vs the built-in JSON file source, same files."""
    spark = lh.spark
    path = lh.path("data_zone", settings.LANDING["kafka_multiplex_bz"])
    rows = spark.read.schema(KAFKA_RECORD).json(path).count()

    def cloudfiles():  # type: ignore[no-untyped-def]
        return (
            spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", "json")
            .option("rescuedDataColumn", "_rescued_data")
            .schema(KAFKA_RECORD)
            .load(path)
            .select("*", "_metadata.file_path")
        )

    def builtin():  # type: ignore[no-untyped-def]
        return (
            spark.readStream.format("json")
            .schema(KAFKA_RECORD + ", _rescued_data STRING")
            .option("columnNameOfCorruptRecord", "_rescued_data")
            .load(path)
            .select("*", "_metadata.file_path")
        )

    times: dict[str, list[float]] = {"cloudFiles": [], "json": []}
    for i in range(rounds):
        for name, make in (("cloudFiles", cloudfiles), ("json", builtin))[:: 1 if i % 2 else -1]:
            began = time.perf_counter()
            q = (
                make()
                .writeStream.format("noop")
                .option("checkpointLocation", lh.checkpoint(f"bench_{name}_{uuid.uuid4().hex[:6]}"))
                .trigger(availableNow=True)
                .start()
            )
            q.awaitTermination()
            times[name].append(time.perf_counter() - began)
    return statistics.median(times["cloudFiles"]), statistics.median(times["json"]), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="generator scale of the sets")
    parser.add_argument("--latency-sets", type=int, default=8)
    parser.add_argument("--skip-azurite", action="store_true")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    targets = ["local"] if args.skip_azurite else ["local", "azurite"]
    config = load_config(storage="local", home=str(home))
    azurite = (
        nullcontext(config) if args.skip_azurite else running_azurite(config, home / "azurite")
    )
    with azurite as base:
        spark = build_session(base, app_name="bench-pipeline")
        try:
            spec = GeneratorSpec(seed=42, sets=2, scale=args.scale)
            reports = {}
            # Warm-up on every target at a tiny scale: the first batch test in a JVM
            # pays class loading and JIT (seen: 16 s vs 6 s for setup alone), which
            # would otherwise be charged to whichever target runs first.
            for target in targets:
                lh = make_lakehouse(base, spark, target)
                print(f"warm-up on {target} ...", flush=True)
                try:
                    bench_batch(lh, GeneratorSpec(seed=7, sets=2, scale=0.02))
                finally:
                    remove(lh)
            for target in targets:
                lh = make_lakehouse(base, spark, target)
                print(f"batch test on {target} (2 sets, scale {args.scale}) ...", flush=True)
                try:
                    reports[target] = bench_batch(lh, spec)
                finally:
                    remove(lh)
            print(
                f"\n1. batch test, 2 reference sets (scale {args.scale}), validated vs ground truth"
            )
            kafka = spec.users_in_set  # for the record line below
            print(f"   ({kafka} users per set)")
            print(f"{'layer':<16}" + "".join(f"{t + ' s':>12}" for t in targets))
            layers = list(reports["local"].layer_seconds)
            for layer in layers:
                print(
                    f"{layer:<16}"
                    + "".join(f"{reports[t].layer_seconds.get(layer, 0):>12.1f}" for t in targets)
                )
            print(f"{'batch test':<16}" + "".join(f"{reports[t].seconds:>12.1f}" for t in targets))
            if "azurite" in reports:
                ratio = reports["azurite"].seconds / reports["local"].seconds
                print(f"   azurite / local = {ratio:.2f}")

            lh = make_lakehouse(base, spark, "local")
            try:
                print(
                    f"\n2. stream mode, 1-second trigger, {args.latency_sets} one-day sets (local)"
                )
                lat = bench_latency(lh, args.latency_sets)
                print(
                    f"   file landed -> rows in gold: p50 {percentile(lat, 0.5):.1f}s, "
                    f"p95 {percentile(lat, 0.95):.1f}s (n={len(lat)})"
                )
                ddl.cleanup(lh)
                producer.land_history(lh, spec)
                producer.produce_set(lh, GeneratorSpec(seed=42, sets=1, scale=args.scale), 1)
                cf, js, rows = bench_cloudfiles(lh)
                print(
                    f"\n3. cloudFiles stand-in vs built-in JSON file source, {rows:,} Kafka records"
                )
                print(f"   cloudFiles {cf:.2f}s, json {js:.2f}s, ratio {cf / js:.2f} (median of 3)")
            finally:
                remove(lh)
        finally:
            spark.stop()  # before Azurite: a JVM outliving its storage can hang on exit
    return 0


if __name__ == "__main__":
    sys.exit(main())
