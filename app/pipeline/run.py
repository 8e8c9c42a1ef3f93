"""The run entry point: environment, run type (once | stream) and processing time.

- once: setup (idempotent), the history loader, then every stream with an
  available-now trigger, layer after layer (silver in dependency stages), each
  layer waiting for the previous one to finish.
- stream: every stream continuously with a processing-time trigger, each in
  its layer's scheduler pool (bronze, silver, gold).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.pipeline import bronze, ddl, gold, history, settings, silver
from app.pipeline.streaming import AVAILABLE_NOW, Trigger, query_name

if TYPE_CHECKING:
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse

log = logging.getLogger(__name__)

Starter = Callable[["Lakehouse", str, Trigger], "StreamingQuery"]
STARTERS: dict[str, Starter] = {
    **dict.fromkeys(settings.BRONZE, bronze.start_stream),
    **dict.fromkeys(settings.SILVER, silver.start_stream),
    **dict.fromkeys(settings.GOLD, gold.start_stream),
}
# Layer after layer; inside a layer, the tables of one stage run side by side.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bronze", settings.BRONZE),
    *((f"silver-{i + 1}", stage) for i, stage in enumerate(settings.SILVER_STAGES)),
    ("gold", settings.GOLD),
)


def prepare(lh: Lakehouse) -> int:
    """DDL setup and the history loader (both idempotent); returns date_lookup rows added."""
    ddl.setup(lh)
    if lh.store("data_zone").list(f"{settings.HISTORY_FOLDER}/"):
        return history.load_date_lookup(lh)
    log.warning("no history files under %s yet: date_lookup not loaded", settings.HISTORY_FOLDER)
    return 0


def run_stage(lh: Lakehouse, tables: tuple[str, ...], trigger: Trigger = AVAILABLE_NOW) -> None:
    """Start the tables' streams available-now and wait for all of them to finish."""
    queries = [STARTERS[t](lh, t, trigger) for t in tables]
    try:
        for q in queries:
            q.awaitTermination()
    finally:
        for q in queries:
            if q.isActive:
                q.stop()


def run_once(lh: Lakehouse) -> dict[str, float]:
    """setup + history + every layer available-now; returns seconds per layer."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    prepare(lh)
    timings["setup+history"] = time.perf_counter() - t0
    for layer, tables in STAGES:
        t0 = time.perf_counter()
        run_stage(lh, tables)
        key = layer.split("-")[0]
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0
    return timings


def start_all(lh: Lakehouse, processing_time: str) -> list[StreamingQuery]:
    """Every stream continuously (bronze first, so silver finds its sources)."""
    prepare(lh)
    trigger = Trigger(processing_time)
    return [STARTERS[t](lh, t, trigger) for _, tables in STAGES for t in tables]


def active_queries(lh: Lakehouse) -> dict[str, StreamingQuery]:
    """This lakehouse's running queries by table name."""
    prefix = query_name(lh, "")
    return {
        q.name[len(prefix):]: q
        for q in lh.spark.streams.active
        if q.name and q.name.startswith(prefix)
    }


def stop_gracefully(
    queries: list[StreamingQuery],
    timeout: float = 90.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Stop each query between two triggers rather than in the middle of a batch.

    Interrupting a batch is safe (the checkpoint replays it) but noisy; so
    upstream first, each query is stopped as soon as it is not running a
    trigger, or once ``timeout`` seconds have passed for them all.
    """
    # One deadline for all queries: with a dozen streams on two cores, a
    # per-query wait could keep a user's Ctrl-C waiting for minutes.
    deadline = clock() + timeout
    quieted = False
    for q in queries:
        while q.isActive and q.status.get("isTriggerActive") and clock() < deadline:
            sleep(0.05)
        if q.isActive and q.status.get("isTriggerActive") and not quieted:
            # Past the deadline a batch is interrupted: safe (the checkpoint
            # replays it, the upserts are idempotent) but Spark and Py4J print
            # pages of InterruptedException traces that read like a failure.
            _quiet_interrupts()
            quieted = True
        if q.isActive:
            q.stop()


def _quiet_interrupts() -> None:
    from pyspark import SparkContext

    logging.getLogger("py4j").setLevel(logging.CRITICAL)
    context = SparkContext._active_spark_context
    if context is not None:
        context.setLogLevel("OFF")


def stop_all(lh: Lakehouse) -> None:
    stop_gracefully(list(active_queries(lh).values()))


def run(lh: Lakehouse, params: settings.RunParameters) -> list[StreamingQuery]:
    """Run the pipeline as the job does: once (returns []) or stream (returns the queries)."""
    if params.run_type == "once":
        run_once(lh)
        return []
    return start_all(lh, params.processing_time)
