"""A replayed micro-batch is not appended twice: each run looks once, at its first batch."""

from __future__ import annotations

from app.pipeline import batch_append
from app.pipeline.batch_append import BatchAppend


def rows(spark, *ids):  # type: ignore[no-untyped-def]
    return spark.createDataFrame([(i,) for i in ids], "id BIGINT")


def ids(lh, table):  # type: ignore[no-untyped-def]
    return sorted(r.id for r in lh.spark.table(table).collect())


def test_marker_names_its_writer_and_batch() -> None:
    assert batch_append.marked_batch("s.t", batch_append.marker("s.t", 12)) == 12
    assert batch_append.marked_batch("s.t", "s.tt batch 3") is None  # another writer
    assert batch_append.marked_batch("s.t", "s.t batch 3 more") is None
    assert batch_append.marked_batch("s.t", None) is None


def test_replayed_first_batch_of_a_run_is_skipped(local_lakehouse):
    lh, spark = local_lakehouse, local_lakehouse.spark
    lh.create_schema()
    table = lh.table("appends")
    spark.sql(f"CREATE TABLE {table} (id BIGINT) USING delta")

    run1 = BatchAppend(table, "writer")
    assert run1(rows(spark, 1, 2), 0) and run1(rows(spark, 3), 1)
    # Another writer and a maintenance commit land after the run's last batch.
    BatchAppend(table, "other")(rows(spark, 100), 0)
    spark.sql(f"OPTIMIZE {table}")

    # The next run starts with batch 1 again (its checkpoint commit was lost): skipped.
    run2 = BatchAppend(table, "writer")
    assert not run2(rows(spark, 3), 1)
    assert run2(rows(spark, 4), 2)
    assert ids(lh, table) == [1, 2, 3, 4, 100]

    # A run whose first batch is new appends it; replaying an older id is skipped too.
    assert BatchAppend(table, "writer")(rows(spark, 5), 3)
    assert not BatchAppend(table, "writer")(rows(spark, 4), 2)
    assert ids(lh, table) == [1, 2, 3, 4, 5, 100]

    # The markers are what DESCRIBE HISTORY shows, one per append.
    marks = [r.userMetadata for r in spark.sql(f"DESCRIBE HISTORY {table}").collect()
             if r.userMetadata]
    assert sorted(marks) == sorted(["writer batch 0", "writer batch 1", "other batch 0",
                                    "writer batch 2", "writer batch 3"])


def test_batch_written_with_deltas_own_guard_only_is_not_appended_again(local_lakehouse):
    """A table an older pipeline wrote with txnAppId/txnVersion and no marker."""
    lh, spark = local_lakehouse, local_lakehouse.spark
    lh.create_schema()
    table = lh.table("appends_old")
    spark.sql(f"CREATE TABLE {table} (id BIGINT) USING delta")
    (rows(spark, 1).write.format("delta").mode("append")
     .option("txnAppId", "writer").option("txnVersion", 7).saveAsTable(table))

    run = BatchAppend(table, "writer")
    run(rows(spark, 1), 7)  # the replay: Delta's guard skips it
    run(rows(spark, 2), 8)
    assert ids(lh, table) == [1, 2]
