"""Landed-to-gold latency in stream mode: from a set's last file landing to its sessions in gold.

Every stream runs with a 1-second trigger; one-day sets land one at a time,
and each is timed from the moment its last file landed (landing itself is
the producer's cost) until workout_bpm_summary holds the generator's
ground-truth row count for it. A set that completes no session (the first
one-day set: its session stops the next day) is not timed; the streams then
catch up with it before the next set lands, so no timed set also waits for
an earlier set or for the streams' start (bench/startstop.py times that).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bench.common import check_queries

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse

# Each poll reads gold's new Delta commits (no Spark job): a count job every
# 0.2 s took ~0.4 s of a saturated core each time, stolen from the streams timed.
POLL_SECONDS = 0.2
SET_TIMEOUT = 300.0


def landed_to_gold(lh: Lakehouse, sets: int, trigger: str = "1 second",
                   scale: float = 0.25, seed: int = 5) -> list[float]:
    """Seconds per set from landed to gold, on an empty private lakehouse."""
    from app.pipeline import run
    from data_generators import GeneratorSpec
    from lakehouse_local import producer
    from lakehouse_local.progress import wait_caught_up
    from lakehouse_local.stream_test import trigger_seconds

    spec = GeneratorSpec(seed=seed, sets=sets, scale=scale, visits_per_user=1)
    producer.land_history(lh, spec)
    queries = run.start_all(lh, trigger)
    gold = lh.row_count("workout_bpm_summary")
    latencies: list[float] = []
    before = 0
    try:
        for n in range(1, sets + 1):
            began = time.perf_counter()
            manifest = producer.produce_set(lh, spec, n)
            landed = time.perf_counter()
            want = manifest["counts"]["workout_bpm_summary"]
            if want == before:  # e.g. set 1: its session stops the next day
                waited = wait_caught_up(lh, run.by_stream(lh, queries), trigger_seconds(trigger),
                                        timeout=SET_TIMEOUT)
                print(f"    set {n}: completes no session, not timed (streams caught up "
                      f"{waited:.1f}s after it landed)", flush=True)
                continue
            before = want
            while (gold.refresh() or 0) < want:
                check_queries(queries)
                if time.perf_counter() - landed > SET_TIMEOUT:
                    raise RuntimeError(f"set {n}: gold never reached {want} rows")
                time.sleep(POLL_SECONDS)
            latencies.append(time.perf_counter() - landed)
            print(f"    set {n}: landed in {landed - began:.1f}s, in gold "
                  f"{latencies[-1]:.1f}s later", flush=True)
    finally:
        run.stop_gracefully(queries, timeout=30)
    return latencies
