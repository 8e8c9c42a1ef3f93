"""Where a micro-batch's time goes, per stream: from each query's progress reports.

Runs the pipeline once (available-now, layer after layer) over generated
sets, keeping every query's progress, and prints per stream: batches, rows,
and the seconds spent in each phase Spark reports (latestOffset = listing the
source, queryPlanning, getBatch, addBatch = the foreachBatch body: our
MERGEs and Delta commits, walCommit/commitOffsets = checkpoint writes).
Then it lands one more set and prints the same for that set alone, so a cost
that grows with history shows as a growing per-set figure.

    .venv/bin/python bench/batch_costs.py [--sets 3] [--scale 0.25] [--target local]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.pipeline import ddl, layout, run  # noqa: E402
from app.platform.config import load_config  # noqa: E402
from app.platform.lakehouse import Lakehouse  # noqa: E402
from app.platform.session import build_session  # noqa: E402
from data_generators import GeneratorSpec  # noqa: E402
from emulators.azurite import running_azurite  # noqa: E402
from lakehouse_local import producer  # noqa: E402

PHASES = ("latestOffset", "queryPlanning", "getBatch", "addBatch", "walCommit", "commitOffsets")


def run_layers(lh: Lakehouse) -> dict[str, list[dict[str, Any]]]:
    """run_once's layers, returning every query's progress reports by table."""
    progress: dict[str, list[dict[str, Any]]] = {}
    run.prepare(lh)
    for _, tables in layout.of(lh).stages:
        queries = {t: run.STARTERS[t](lh, t, run.AVAILABLE_NOW) for t in tables}
        for q in queries.values():
            q.awaitTermination()
        for t, q in queries.items():
            progress[t] = [p for p in q.recentProgress if p.get("numInputRows", 0) or
                           p["durationMs"].get("addBatch")]
    return progress


def print_costs(title: str, progress: dict[str, list[dict[str, Any]]], wall: float) -> None:
    print(f"\n{title} (wall {wall:.1f}s)")
    print(f"{'stream':<22}{'batches':>8}{'rows':>10}" + "".join(f"{p[:10]:>11}" for p in PHASES)
          + f"{'total':>9}")
    totals: dict[str, float] = defaultdict(float)
    for table, reports in progress.items():
        phases = {p: sum(r["durationMs"].get(p, 0) for r in reports) / 1000 for p in PHASES}
        total = sum(r["durationMs"].get("triggerExecution", 0) for r in reports) / 1000
        rows = sum(r.get("numInputRows", 0) for r in reports)
        for p, v in phases.items():
            totals[p] += v
        totals["total"] += total
        print(f"{table:<22}{len(reports):>8}{rows:>10,}"
              + "".join(f"{phases[p]:>11.2f}" for p in PHASES) + f"{total:>9.2f}")
    print(f"{'all streams':<40}" + "".join(f"{totals[p]:>11.2f}" for p in PHASES)
          + f"{totals['total']:>9.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=3)
    parser.add_argument("--scale", type=float, default=0.25)
    parser.add_argument("--target", choices=("local", "azurite"), default="local")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-costs-"))
    config = load_config(storage="local", home=str(home))
    ctx = running_azurite(config, home / "azurite") if args.target == "azurite" else nullcontext(
        config)
    with ctx as base:
        spark = build_session(base, app_name="bench-batch-costs")
        tag = uuid.uuid4().hex[:8]
        lh = Lakehouse(base.replace(storage=args.target, schema=f"costs_{tag}",
                                    data_zone_container=f"costs-landing-{tag}",
                                    checkpoint_container=f"costs-ckpt-{tag}",
                                    tables_container=f"costs-tables-{tag}"), spark)
        lh.target.provision()
        try:
            spec = GeneratorSpec(seed=42, sets=args.sets + 1, scale=args.scale)
            producer.land_history(lh, spec)
            for n in range(1, args.sets + 1):
                producer.produce_set(lh, spec, n)
            began = time.perf_counter()
            print_costs(f"{args.sets} sets at scale {args.scale} on {args.target}, run once",
                        run_layers(lh), time.perf_counter() - began)
            producer.produce_set(lh, spec, args.sets + 1)
            began = time.perf_counter()
            print_costs(f"set {args.sets + 1} alone, on top of that history", run_layers(lh),
                        time.perf_counter() - began)
        finally:
            ddl.cleanup(lh)
            lh.target.deprovision()
            spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
