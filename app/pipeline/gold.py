"""Gold: workout_bpm_summary, exactly one row per completed session with readings.

Not a streaming aggregation (in append mode behind a watermark, the last
sessions of a run would never appear: nothing later moves the watermark past
them). Each micro-batch only says what changed, and pays for that alone:

- sessions with new workout_bpm rows: their readings are read back from
  workout_bpm (only the files of their hours), aggregated, joined with the
  user's bins and MERGEd (update or insert). A session gets its row in the
  batch its readings arrive; late readings correct it.
- users whose bins changed (the user_bins change feed): their summary rows
  get the new age, gender, city and state by a MERGE on user_id, without
  re-aggregating any reading; a deleted profile leaves NULL attributes.
Replaying a batch rewrites the same values.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from app.pipeline import merge, prune
from app.pipeline.streaming import BatchFunction, Trigger, start

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse

KEYS = ["user_id", "workout_id", "session_id"]
BINS = ("age", "gender", "city", "state")
SUMMARY_COLUMNS = (
    "workout_id",
    "session_id",
    "user_id",
    *BINS,
    "min_bpm",
    "avg_bpm",
    "max_bpm",
    "num_recordings",
)


def changes(lh: Lakehouse) -> DataFrame:
    """Changed sessions (keys and times), and users whose bins changed (workout_id NULL)."""
    from pyspark.sql import functions as F

    spark = lh.spark
    sessions = spark.readStream.table(lh.table("workout_bpm")).select(
        F.col("user_id").cast("bigint").alias("user_id"), "workout_id", "session_id",
        "start_time", "end_time",
    )
    users = (
        spark.readStream.option("readChangeFeed", "true")
        .table(lh.table("user_bins"))
        .select("user_id")
    )
    return sessions.unionByName(users, allowMissingColumns=True)


def _in_sessions(spans: list[tuple[int, int, int, datetime, datetime]]) -> str:
    """A literal predicate on workout_bpm for these sessions (prunes by time, then by user)."""
    hours = {
        b
        for *_, lo, hi in spans
        for b in range(int(lo.timestamp() // prune.BUCKET_SECONDS),
                       int(hi.timestamp() // prune.BUCKET_SECONDS) + 1)
    }
    return (
        f"{prune.in_ranges('time', prune.ranges_of_buckets(hours))} AND "
        f"{prune.in_list('user_id', {s[0] for s in spans})}"
    )


def summarize(lh: Lakehouse, sessions: DataFrame, users: set[int], where: str) -> DataFrame:
    """Summary rows of ``sessions`` from the workout_bpm rows matching ``where``."""
    from pyspark.sql import functions as F

    spark = lh.spark
    stats = (
        spark.read.table(lh.table("workout_bpm"))
        .where(where)
        .withColumn("user_id", F.col("user_id").cast("bigint"))
        .join(F.broadcast(sessions), KEYS, "left_semi")
        .groupBy(*KEYS)
        .agg(
            F.min("heartrate").alias("min_bpm"),
            F.avg("heartrate").alias("avg_bpm"),
            F.max("heartrate").alias("max_bpm"),
            F.count("heartrate").alias("num_recordings"),
        )
    )
    return stats.join(F.broadcast(user_bins(lh, users)), "user_id", "left").select(
        *SUMMARY_COLUMNS
    )


def user_bins(lh: Lakehouse, user_ids: set[int]) -> DataFrame:
    """The current bins of ``user_ids`` (one row per user, NULLs when the user has none)."""
    from pyspark.sql import functions as F

    bins = (
        lh.spark.read.table(lh.table("user_bins"))
        .where(prune.in_list("user_id", user_ids))
        .select("user_id", *BINS)
    )
    ids = lh.spark.createDataFrame([(u,) for u in sorted(user_ids)], "user_id BIGINT")
    return ids.join(F.broadcast(bins), "user_id", "left")


def make_upsert(lh: Lakehouse) -> BatchFunction:
    def upsert(batch: DataFrame, batch_id: int) -> None:
        facts = batch.distinct().collect()
        spans = sorted(
            {(f.user_id, f.workout_id, f.session_id, f.start_time, f.end_time)
             for f in facts if f.workout_id is not None}
        )
        changed_users = sorted({f.user_id for f in facts if f.workout_id is None})
        spark = lh.spark
        if changed_users:
            (
                merge.delta_table(lh, "workout_bpm_summary")
                .alias("t")
                .merge(
                    user_bins(lh, set(changed_users)).alias("s"),
                    f"t.user_id = s.user_id AND {prune.in_list('t.user_id', changed_users)}",
                )
                .whenMatchedUpdate(set={c: f"s.{c}" for c in BINS})
                .execute()
            )
        if spans:
            sessions = spark.createDataFrame(
                [s[:3] for s in spans], "user_id BIGINT, workout_id INT, session_id INT"
            )
            rows = summarize(lh, sessions, {s[0] for s in spans}, _in_sessions(spans))
            users = prune.in_list("t.user_id", {s[0] for s in spans})
            (
                merge.delta_table(lh, "workout_bpm_summary")
                .alias("t")
                .merge(rows.alias("s"), f"{merge.on(KEYS)} AND {users}")
                .whenMatchedUpdateAll()
                .whenNotMatchedInsertAll()
                .execute()
            )

    return upsert


def start_stream(lh: Lakehouse, table: str, trigger: Trigger) -> StreamingQuery:
    if table != "workout_bpm_summary":
        raise ValueError(f"gold has no table {table!r}")
    return start(lh, table, changes(lh), make_upsert(lh), trigger, "gold")
