"""The pipeline's reads of its big tables skip the files of other hours.

heart_rate and workout_bpm keep Delta file statistics only for the columns
their reads prune by (``settings.STATS_COLUMNS``). These tests write a table
as several files, one per day, with the pipeline's own table properties, and
check with Spark's metric of the files a scan opened that the pipeline's
predicates for one day open that day's file only: the insert-if-new MERGE's
target-only time ranges (``merge.insert_new``: Delta skips the MERGE's target
files by the same predicate) and the session readings' read. Statistics
missing for a pruning column would make every one of these open every file:
the cost of a batch would then grow with history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from app.pipeline import prune, sessions, settings
from app.pipeline.schemas import TABLES

pytestmark = pytest.mark.integration

DAYS = 4


def day(n: int, minute: int = 0) -> datetime:
    return datetime(2023, 3, 10 + n, 8, 0) + timedelta(minutes=minute)


def table_of_days(lh: Any, name: str, rows_of_day: Any) -> str:
    """``name`` with the pipeline's properties, one file per day; compaction off (it would
    merge the files this test needs apart)."""
    lh.create_schema()
    properties = dict(settings.table_properties(name) or {})
    properties["delta.autoOptimize.autoCompact"] = "false"
    full = lh.create_table(name, TABLES[name][0], properties=properties)
    for n in range(DAYS):
        lh.spark.createDataFrame(rows_of_day(n), TABLES[name][0]).coalesce(1).write.format(
            "delta").mode("append").saveAsTable(full)
    return full


def files_read(df: Any) -> int:
    """Files the scans of ``df``'s query opened (Spark's numFiles metric), after running it."""
    spark = df.sparkSession
    adaptive = spark.conf.get("spark.sql.adaptive.enabled")
    spark.conf.set("spark.sql.adaptive.enabled", "false")  # the plan's scans stay visible
    try:
        qe = df._jdf.queryExecution()
        qe.executedPlan().executeCollect()
        leaves = qe.executedPlan().collectLeaves()
        total = 0
        for i in range(leaves.size()):
            metric = leaves.apply(i).metrics().get("numFiles")
            if metric.isDefined():
                total += int(metric.get().value())
        return total
    finally:
        spark.conf.set("spark.sql.adaptive.enabled", adaptive)


def merge_target(lh: Any, full: str, new: Any) -> Any:
    """The target rows ``merge.insert_new(..., time_column="time")`` reads for ``new``."""
    ranges = prune.time_ranges(new, "time")
    return lh.spark.read.table(full).where(prune.in_ranges("time", ranges))


def readings(n: int) -> list[tuple[int, datetime, float, bool]]:
    return [(device, day(n, minute), 100.0 + minute, True)
            for device in (1, 2) for minute in range(0, 60, 10)]


def test_heart_rate_reads_open_only_the_days_they_need(local_lakehouse: Any) -> None:
    lh = local_lakehouse
    full = table_of_days(lh, "heart_rate", readings)
    assert files_read(lh.spark.read.table(full)) == DAYS
    new = lh.spark.createDataFrame(
        [(1, day(2, 5), 90.0, True), (2, day(2, 15), 91.0, True)], TABLES["heart_rate"][0])
    assert files_read(merge_target(lh, full, new)) == 1
    spans = [(1, day(1), day(1, 30))]
    assert files_read(sessions.session_readings(lh, spans)) == 1


def test_workout_bpm_merge_target_is_only_the_days_it_needs(local_lakehouse: Any) -> None:
    lh = local_lakehouse

    def rows(n: int) -> list[tuple[Any, ...]]:
        start, end = day(n), day(n, 60)
        return [(7, 1, n, start, end, day(n, m), 120.0) for m in range(1, 60, 10)]

    full = table_of_days(lh, "workout_bpm", rows)
    assert files_read(lh.spark.read.table(full)) == DAYS
    new = lh.spark.createDataFrame([(7, 1, 3, day(3), day(3, 60), day(3, 2), 121.0)],
                                   TABLES["workout_bpm"][0])
    assert files_read(merge_target(lh, full, new)) == 1
