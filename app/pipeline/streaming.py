"""Shared streaming plumbing: triggers, scheduler pools (through the adapter), checkpoints,
query names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.platform import checkpoints, scheduling

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse

BatchFunction = Callable[["DataFrame", int], None]


@dataclass(frozen=True)
class Trigger:
    """available-now (run once) or a processing-time interval (stream)."""

    processing_time: str | None = None

    @property
    def once(self) -> bool:
        return self.processing_time is None

    def kwargs(self) -> dict[str, Any]:
        if self.processing_time is None:
            return {"availableNow": True}
        return {"processingTime": self.processing_time}


AVAILABLE_NOW = Trigger()


def query_name(lh: Lakehouse, table: str) -> str:
    """Unique per schema, so two lakehouses in one session never clash."""
    return f"{lh.database}.{table}"


def clear_torn_writes(lh: Lakehouse, table: str) -> None:
    """Remove the unfinished writes a stopped or killed run left in ``table``'s checkpoint.

    A stream stopped while it wrote its first offsets would otherwise never
    start again (``app/platform/checkpoints.py``). Skipped while a query of this
    session runs on the checkpoint: its write in flight is not debris (and Spark
    refuses the second query anyway).
    """
    import logging

    name = query_name(lh, table)
    if any(q.name == name for q in lh.spark.streams.active):
        return
    try:
        checkpoints.remove_torn_writes(lh.store("checkpoint"), f"{checkpoints.CHECKPOINTS}{table}/")
    except Exception as exc:  # best effort: Spark names the checkpoint if it refuses it
        logging.getLogger(__name__).warning(
            "could not look for unfinished writes in the checkpoint of %s: %s", table, exc
        )


def start(
    lh: Lakehouse,
    table: str,
    df: DataFrame,
    batch_fn: BatchFunction,
    trigger: Trigger,
    pool: str,
) -> StreamingQuery:
    """Start ``df`` into ``batch_fn`` (foreachBatch) with the table's own checkpoint."""
    spark = lh.spark

    def run_batch(batch: DataFrame, batch_id: int) -> None:
        # Under Spark Connect this runs in the server's Python worker, with
        # ``lh`` unpickled and sessionless: it takes the batch's session.
        lh.bind(batch.sparkSession)
        scheduling.use_pool(batch.sparkSession, pool)
        lh.tune_batch(batch.sparkSession, pool)
        batch_fn(batch, batch_id)

    clear_torn_writes(lh, table)
    scheduling.use_pool(spark, pool)  # the query's thread inherits the pool
    try:
        return (
            df.writeStream.queryName(query_name(lh, table))
            .foreachBatch(run_batch)
            .option("checkpointLocation", lh.checkpoint(table))
            .trigger(**trigger.kwargs())
            .start()
        )
    finally:
        scheduling.use_pool(spark, "default")
