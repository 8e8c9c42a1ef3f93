"""Idempotent writes into silver and gold: insert-if-new MERGEs that touch only the files they must.

Every silver/gold write is a MERGE so that a replayed micro-batch (after a
crash, or a row reached by two change paths) never duplicates. A MERGE reads
every target file its condition cannot rule out, so each call here adds a
literal, target-only predicate (``prune``) that Delta's data skipping
evaluates against file statistics: the MERGE reads the few files of the hours
the batch touches, not the table's whole history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.pipeline import prune

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from app.platform.lakehouse import Lakehouse


def delta_table(lh: Lakehouse, table: str):  # type: ignore[no-untyped-def]
    from delta.tables import DeltaTable

    return DeltaTable.forName(lh.spark, lh.table(table))


def on(keys: Sequence[str]) -> str:
    return " AND ".join(f"t.{k} <=> s.{k}" for k in keys)


def insert_new(
    lh: Lakehouse,
    table: str,
    rows: DataFrame,
    keys: Sequence[str],
    time_column: str | None = None,
    ranges: Sequence[prune.Range] | None = None,
) -> int | None:
    """Insert the rows of ``rows`` whose ``keys`` are not in ``table`` yet; returns how many.

    With ``time_column``, only target files that hold times in ``ranges`` are
    read (the ranges are computed from ``rows`` when not given; the rows must
    then be cheap to read twice, e.g. persisted). The count comes from the
    MERGE's own metrics (None if this Delta version reports none).
    """
    condition = on(keys)
    if time_column is not None:
        if ranges is None:
            ranges = prune.time_ranges(rows, time_column)
        if not ranges:
            return 0  # nothing to write
        condition += " AND " + prune.in_ranges(f"t.{time_column}", ranges)
    metrics = (
        delta_table(lh, table)
        .alias("t")
        .merge(rows.alias("s"), condition)
        .whenNotMatchedInsertAll()
        .execute()
    )
    return inserted_rows(metrics)


def inserted_rows(metrics: DataFrame | None) -> int | None:
    """``num_inserted_rows`` of a MERGE's metrics row (a local relation: no Spark job)."""
    if metrics is None or "num_inserted_rows" not in metrics.columns:
        return None
    row = metrics.first()
    return None if row is None else int(row["num_inserted_rows"])
