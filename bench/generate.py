"""Generator throughput: events/s for a reference-size set and for --scale 20.

    .venv/bin/python bench/generate.py [--scales 1 20] [--spark]

``--spark`` also times a plain Spark read of the reference set's landed files
(the docs/domain.md schemas, a count): the floor under what bronze ingestion costs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_generators import GeneratorSpec, generate_sets  # noqa: E402

KAFKA = ("key string, value string, topic string, partition bigint, offset bigint, "
         "timestamp bigint")


def bench(scale: float, root: Path) -> tuple[int, float, int]:
    spec = GeneratorSpec(seed=42, sets=1, scale=scale)
    began = time.perf_counter()
    (result,) = generate_sets(spec, root)
    seconds = time.perf_counter() - began
    size = sum(s.bytes for s in result.sources.values())
    return result.records, seconds, size


def spark_read_seconds(root: Path) -> float:
    from app.platform.config import load_config
    from app.platform.session import build_session

    config = load_config(storage="local", home=str(root / ".home"))
    spark = build_session(config, app_name="bench-generate")
    spark.read.schema(KAFKA).json(str(root / "raw/kafka_multiplex_bz")).count()  # warm up
    began = time.perf_counter()
    spark.read.schema(KAFKA).json(str(root / "raw/kafka_multiplex_bz")).count()
    return time.perf_counter() - began


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scales", type=float, nargs="+", default=[1.0, 20.0])
    p.add_argument("--spark", action="store_true", help="also time a Spark read of scale 1")
    args = p.parse_args()
    print(f"{'scale':>6} {'events':>12} {'seconds':>9} {'events/s':>12} {'MB':>9}")
    for scale in args.scales:
        root = Path(tempfile.mkdtemp(prefix=f"bench-gen-{scale:g}-"))
        try:
            events, seconds, size = bench(scale, root)
            print(f"{scale:>6g} {events:>12,} {seconds:>9.2f} {events / seconds:>12,.0f} "
                  f"{size / 1e6:>9.1f}", flush=True)
            if args.spark and scale == 1:
                read = spark_read_seconds(root)
                print(f"{'':>6} Spark read + count of the same Kafka files: {read:.2f} s")
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
