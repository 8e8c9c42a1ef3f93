"""Storage benchmark: the same Delta write + MERGE + streaming batch on `local` and `azurite`.

Prints each step's median time over a few rounds for both targets and the
azurite/local ratio, in one run and one Spark session, so the figures compare
like for like. Starts a private Azurite on a free loopback port if none answers.

    .venv/bin/python bench/storage.py [--rows 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.platform.config import load_config  # noqa: E402
from app.platform.lakehouse import Lakehouse  # noqa: E402
from app.platform.session import build_session  # noqa: E402
from emulators.azurite import running_azurite  # noqa: E402

STEPS = ("write", "merge", "stream")


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_round(lakehouse: Lakehouse, rows: int, landing_lines: bytes) -> dict[str, float]:
    spark = lakehouse.spark
    table = lakehouse.path("tables", "bench_delta")
    data = spark.range(rows).selectExpr("id", "id % 97 AS k", "rand(7) AS v")
    updates = spark.range(rows // 2, rows + rows // 2).selectExpr(
        "id", "id % 89 AS k", "rand(9) AS v"
    )
    times = {"write": _timed(lambda: data.write.format("delta").mode("overwrite").save(table))}
    updates.createOrReplaceTempView("bench_updates")
    times["merge"] = _timed(
        lambda: spark.sql(
            f"MERGE INTO delta.`{table}` t USING bench_updates s ON t.id = s.id "
            "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
        )
    )
    tag = uuid.uuid4().hex[:8]
    lakehouse.store("data_zone").put_bytes(f"bench/{tag}/part-0.json", landing_lines)

    def stream() -> None:
        query = (
            spark.readStream.schema("id BIGINT, k BIGINT, v DOUBLE")
            .json(lakehouse.path("data_zone", "bench", tag))
            .writeStream.format("delta")
            .option("checkpointLocation", lakehouse.checkpoint(f"bench_{tag}"))
            .trigger(availableNow=True)
            .start(lakehouse.path("tables", f"bench_stream_{tag}"))
        )
        query.awaitTermination()

    times["stream"] = _timed(stream)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    config = load_config(storage="local", home=str(home))
    with running_azurite(config, home / "azurite") as base:
        spark = build_session(base, app_name="bench-storage")
        try:
            lines = "".join(
                json.dumps({"id": i, "k": i % 97, "v": i / 7}) + "\n" for i in range(args.rows // 4)
            ).encode()
            lakehouses = {}
            for target in ("local", "azurite"):
                tag = uuid.uuid4().hex[:8]
                lakehouse = Lakehouse(
                    base.replace(
                        storage=target,
                        data_zone_container=f"bench-landing-{tag}",
                        checkpoint_container=f"bench-ckpt-{tag}",
                        tables_container=f"bench-tables-{tag}",
                    ),
                    spark,
                )
                lakehouse.target.provision()
                run_round(lakehouse, 1000, lines[:1000])  # warm-up: JIT, class loading
                lakehouses[target] = lakehouse
            results: dict[str, dict[str, list[float]]] = {
                t: {step: [] for step in STEPS} for t in lakehouses
            }
            for round_no in range(args.rounds):
                # Alternate the order so neither target always runs on a warmer JVM.
                order = list(lakehouses) if round_no % 2 == 0 else list(reversed(lakehouses))
                for target in order:
                    for step, seconds in run_round(lakehouses[target], args.rows, lines).items():
                        results[target][step].append(seconds)
            for lakehouse in lakehouses.values():
                lakehouse.target.deprovision()

            print(
                f"storage benchmark: {args.rows:,} rows written + MERGE of {args.rows:,} rows "
                f"+ one streaming batch of {args.rows // 4:,} JSON lines; median of {args.rounds}"
            )
            print(f"{'step':<8}{'local s':>10}{'azurite s':>12}{'ratio':>8}")
            totals = {"local": 0.0, "azurite": 0.0}
            for step in STEPS:
                local = statistics.median(results["local"][step])
                remote = statistics.median(results["azurite"][step])
                totals["local"] += local
                totals["azurite"] += remote
                print(f"{step:<8}{local:>10.2f}{remote:>12.2f}{remote / local:>8.2f}")
            print(
                f"{'total':<8}{totals['local']:>10.2f}{totals['azurite']:>12.2f}"
                f"{totals['azurite'] / totals['local']:>8.2f}"
            )
        finally:
            spark.stop()  # before Azurite: a JVM outliving its storage can hang on exit
    return 0


if __name__ == "__main__":
    sys.exit(main())
