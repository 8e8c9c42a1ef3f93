"""Appends of a stream's micro-batches that a replay does not repeat, checked once per run.

Delta's own guard, the ``txnAppId``/``txnVersion`` writer options, asks the
table's snapshot for the app's last version. Open-source Delta answers that by
reconstructing the table's state: two Spark jobs per append, which on 2 cores
took 0.7-0.9 s beside an append of 0.4 s (1.5-2.5 s while other streams ran).
Yet only one batch of a run can be a replay: the first. Spark re-runs a batch
only when a run ended after the batch wrote and before its checkpoint commit,
and within a run every batch id is new (a failing batch ends the run).

So every append carries a marker in its commit (Delta's ``userMetadata``,
shown by DESCRIBE HISTORY), and a ``BatchAppend`` looks at the table's
newest commits once, before its first append of the run: if the newest commit
marked by this writer holds this batch id or a later one, the batch was
written and is skipped. Later batches of the run append without a look.
That first append also keeps Delta's options, so a batch written by a
version of the pipeline that only used them is still not appended twice.

One writer per ``app_id``: each bronze table is written by its one stream, whose
checkpoint Spark (and ``app.platform.lock``) keeps to one query at a time.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# The commits looked at for the writer's newest marker. Between a run's last
# append and the next run's first, only maintenance commits can come (auto
# compaction: at most one per append; a user's OPTIMIZE or VACUUM).
HISTORY_COMMITS = 100


def marker(app_id: str, batch_id: int) -> str:
    return f"{app_id} batch {batch_id}"


def marked_batch(app_id: str, user_metadata: str | None) -> int | None:
    """The batch id in a commit's ``userMetadata`` when ``app_id`` wrote it, else None."""
    if not user_metadata:
        return None
    found = re.fullmatch(rf"{re.escape(app_id)} batch (\d+)", user_metadata)
    return int(found.group(1)) if found else None


def last_marked_batch(spark: SparkSession, table: str, app_id: str) -> int | None:
    """The newest batch id ``app_id`` marked in the table's last ``HISTORY_COMMITS`` commits."""
    # SQL, not delta.tables.DeltaTable: it runs on Spark Connect too (app/pipeline/merge.py).
    rows = (
        spark.sql(f"DESCRIBE HISTORY {table} LIMIT {HISTORY_COMMITS}")
        .select("version", "userMetadata").collect()
    )
    for row in sorted(rows, key=lambda r: r.version, reverse=True):
        batch = marked_batch(app_id, row.userMetadata)
        if batch is not None:
            return batch
    return None


class BatchAppend:
    """Appends one stream's micro-batches to ``table``; a replayed batch is skipped."""

    def __init__(self, table: str, app_id: str) -> None:
        self.table = table
        self.app_id = app_id
        self.looked = False  # at the table's history, this run

    def __call__(self, rows: DataFrame, batch_id: int) -> bool:
        """Append ``rows`` as batch ``batch_id``; False when it found the batch written."""
        writer = (
            rows.write.format("delta").mode("append")
            .option("userMetadata", marker(self.app_id, batch_id))
        )
        if not self.looked:
            last = last_marked_batch(rows.sparkSession, self.table, self.app_id)
            self.looked = True
            if last is not None and last >= batch_id:
                return False
            # Also Delta's guard, for a batch an older pipeline wrote without a marker.
            writer = writer.option("txnAppId", self.app_id).option("txnVersion", batch_id)
        writer.saveAsTable(self.table)
        return True
