"""Idempotent writes into silver and gold: insert-if-new MERGEs that touch only the files they must.

Every silver/gold write is a MERGE so that a replayed micro-batch (after a
crash, or a row reached by two change paths) never duplicates. A MERGE reads
every target file its condition cannot rule out, so each call here adds a
literal, target-only predicate (``prune``) that Delta's data skipping
evaluates against file statistics: the MERGE reads the few files of the hours
the batch touches, not the table's whole history.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from app.pipeline import prune

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from app.platform.lakehouse import Lakehouse


class Merge:
    """``MERGE INTO <table> AS t USING <source> AS s ON ...`` built clause by clause.

    Written as SQL, not with ``delta.tables.DeltaTable``: Delta's Python table
    API needs a Delta plugin on a Spark Connect server (serverless, standard
    access mode, Databricks Connect), while its SQL runs everywhere. The
    source becomes a temporary view of its own session (uniquely named, so
    streams merging side by side never see each other's), dropped afterwards
    by ``DROP VIEW``: ``spark.catalog.dropTempView`` also uncaches the view's
    plan, so a persisted source (the deduplicated rows a batch reuses after its
    MERGE) lost its cache and was recomputed from its sources by the next reader
    (tests/pipeline/test_merge_writers.py checks the cache survives).
    """

    def __init__(self, lh: Lakehouse, table: str, source: DataFrame, condition: str) -> None:
        self.target = lh.table(table)
        self.source = source
        self.condition = condition
        self.clauses: list[str] = []

    def when_matched_delete(self, condition: str | None = None) -> Merge:
        self.clauses.append(f"WHEN MATCHED{_and(condition)} THEN DELETE")
        return self

    def when_matched_update(self, set: Mapping[str, str], condition: str | None = None) -> Merge:
        assignments = ", ".join(f"t.{column} = {value}" for column, value in set.items())
        self.clauses.append(f"WHEN MATCHED{_and(condition)} THEN UPDATE SET {assignments}")
        return self

    def when_matched_update_all(self) -> Merge:
        self.clauses.append("WHEN MATCHED THEN UPDATE SET *")
        return self

    def when_not_matched_insert(
        self, values: Mapping[str, str], condition: str | None = None
    ) -> Merge:
        columns = ", ".join(values)
        self.clauses.append(
            f"WHEN NOT MATCHED{_and(condition)} THEN INSERT ({columns}) "
            f"VALUES ({', '.join(values.values())})"
        )
        return self

    def when_not_matched_insert_all(self) -> Merge:
        self.clauses.append("WHEN NOT MATCHED THEN INSERT *")
        return self

    def sql(self, view: str) -> str:
        return (f"MERGE INTO {self.target} AS t USING {view} AS s ON {self.condition} "
                + " ".join(self.clauses))

    def execute(self) -> DataFrame:
        """Run it; returns Delta's metrics row (num_inserted_rows, num_updated_rows, ...)."""
        spark = self.source.sparkSession
        view = f"merge_source_{uuid.uuid4().hex}"
        self.source.createOrReplaceTempView(view)
        try:
            return spark.sql(self.sql(view))
        finally:
            spark.sql(f"DROP VIEW IF EXISTS {view}")


def _and(condition: str | None) -> str:
    return f" AND {condition}" if condition else ""


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
    metrics = Merge(lh, table, rows, condition).when_not_matched_insert_all().execute()
    return inserted_rows(metrics)


def inserted_rows(metrics: DataFrame | None) -> int | None:
    """``num_inserted_rows`` of a MERGE's metrics row (a local relation: no Spark job)."""
    if metrics is None or "num_inserted_rows" not in metrics.columns:
        return None
    row = metrics.first()
    return None if row is None else int(row["num_inserted_rows"])
