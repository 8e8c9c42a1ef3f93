"""Silver: every silver table of docs/domain.md, each an idempotent upsert in foreachBatch.

- users, gym_logs, user_profile: sparse dimension streams, deduplicated within
  the micro-batch and MERGEd (insert-if-new, logout-only-if-later, newest-wins
  CDC).
- heart_rate, workouts: the dense event streams, deduplicated within the batch
  and MERGEd insert-only on their key, reading only the target files of the
  hours the batch touches.
- completed_workouts: written in the workouts batch (``app.pipeline.sessions``).
- user_bins: SCD type 1, written in the user_profile batch from the profiles it touched.
- workout_bpm: a keys-of-change join written with gold (``app.pipeline.gold``).
No stream here keeps state or a watermark: their event times are not one
clock (a user registers long before working out, a reading lands late), and a
single implausible time would otherwise move a watermark past every good row.
Event times are DOUBLE epoch seconds cast to TIMESTAMP (microseconds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.pipeline import merge, prune, sessions
from app.pipeline.schemas import VALUE_SCHEMAS
from app.pipeline.streaming import BatchFunction, Trigger, start

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse


def _newest(df: DataFrame, keys: list[str], order: list[Column]) -> DataFrame:
    """One row per key: the first by ``order``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy(*keys).orderBy(*order)
    return df.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


def _bronze_topic(lh: Lakehouse, topic: str) -> DataFrame:
    from pyspark.sql import functions as F

    return (
        lh.spark.readStream.table(lh.table("kafka_multiplex_bz"))
        .where(F.col("topic") == topic)
        .select(F.from_json("value", VALUE_SCHEMAS[topic]).alias("v"))
        .select("v.*")
    )


# --- users -------------------------------------------------------------------
def users(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    df = lh.spark.readStream.table(lh.table("registered_users_bz")).select(
        "user_id",
        "device_id",
        "mac_address",
        F.col("registration_timestamp").cast("timestamp").alias("registration_timestamp"),
    )

    def upsert(batch: DataFrame, batch_id: int) -> None:
        first = _newest(
            batch.where("user_id IS NOT NULL"), ["user_id"], [F.col("registration_timestamp")]
        ).persist()
        try:
            # The batch's ids as a literal: the MERGE reads only users files that may hold them.
            ids = {r.user_id for r in first.select("user_id").collect()}
            if not ids:
                return
            merge.Merge(
                lh, "users", first, f"t.user_id = s.user_id AND {prune.in_list('t.user_id', ids)}"
            ).when_not_matched_insert_all().execute()
        finally:
            first.unpersist()

    return df, upsert


# --- gym_logs ------------------------------------------------------------------
def gym_logs(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    df = lh.spark.readStream.table(lh.table("gym_logins_bz")).select(
        "mac_address",
        "gym",
        F.col("login").cast("timestamp").alias("login"),
        F.col("logout").cast("timestamp").alias("logout"),
    )

    def upsert(batch: DataFrame, batch_id: int) -> None:
        # A visit may land with an empty logout and again with it: keep the
        # latest valid logout per visit.
        visits = batch.groupBy("mac_address", "gym", "login").agg(
            F.max(F.when(F.col("logout") > F.col("login"), F.col("logout"))).alias("logout")
        ).persist()
        try:
            # The hours of the batch's logins as a literal: the MERGE reads only
            # the gym_logs files of those hours, not every visit ever logged.
            hours = prune.time_ranges(visits, "login")
            (
                merge.Merge(
                    lh, "gym_logs", visits,
                    "t.mac_address = s.mac_address AND t.gym = s.gym AND t.login = s.login "
                    f"AND {prune.in_ranges('t.login', hours)}",
                )
                .when_matched_update(
                    condition="s.logout > t.login AND (t.logout IS NULL OR s.logout > t.logout)",
                    set={"logout": "s.logout"},
                )
                .when_not_matched_insert_all()
                .execute()
            )
        finally:
            visits.unpersist()

    return df, upsert


# --- user_profile (CDC, newest wins) -------------------------------------------
PROFILE_COLUMNS = (
    "user_id",
    "dob",
    "sex",
    "gender",
    "first_name",
    "last_name",
    "street_address",
    "city",
    "state",
    "zip",
    "updated",
)


def user_profile(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    df = _bronze_topic(lh, "user_info").select(
        "user_id",
        F.to_date("dob", "MM/dd/yyyy").alias("dob"),
        "sex",
        "gender",
        "first_name",
        "last_name",
        "address.street_address",
        "address.city",
        "address.state",
        "address.zip",
        F.col("timestamp").cast("timestamp").alias("updated"),
        "update_type",
    )

    def merge_profiles(changes: DataFrame, ids: set[int]) -> None:
        values = {c: f"s.{c}" for c in PROFILE_COLUMNS}
        (
            merge.Merge(lh, "user_profile", changes,
                        f"t.user_id = s.user_id AND {prune.in_list('t.user_id', ids)}")
            .when_matched_delete(condition="s.update_type = 'delete' AND t.updated < s.updated")
            .when_matched_update(condition="s.update_type <> 'delete' AND t.updated < s.updated",
                                 set=values)
            .when_not_matched_insert(condition="s.update_type <> 'delete'", values=values)
            .execute()
        )

    def upsert(batch: DataFrame, batch_id: int) -> None:
        changes = _newest(
            batch.where(F.col("update_type").isin("new", "update", "delete")),
            ["user_id"],
            [F.col("updated").desc()],
        ).persist()
        try:
            ids = {r.user_id for r in changes.select("user_id").collect() if r.user_id is not None}
            if not ids:
                return
            merge_profiles(changes, ids)
            write_user_bins(lh, ids)
        finally:
            changes.unpersist()

    return df, upsert


# --- heart_rate, workouts: dense events, deduplicated on their key ---------------
def insert_events(
    lh: Lakehouse, table: str, keys: list[str],
    then: Callable[[DataFrame], None] | None = None,
) -> BatchFunction:
    """Dedupe the micro-batch on ``keys``, insert the rows not in ``table`` yet.

    No watermark and no streaming state: a duplicate arriving any time later
    is caught by the MERGE, which reads only the files of the hours the batch
    touches (``merge.insert_new`` with the ``time`` column). ``then`` gets the
    deduplicated rows (persisted) after the insert.
    """

    def upsert(batch: DataFrame, batch_id: int) -> None:
        rows = batch.dropDuplicates(keys).persist()
        try:
            merge.insert_new(lh, table, rows, keys, time_column="time")
            if then is not None:
                then(rows)
        finally:
            rows.unpersist()

    return upsert


def heart_rate(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    df = _bronze_topic(lh, "bpm").select(
        "device_id", "time", "heartrate", (F.col("heartrate") > 0).alias("valid")
    )
    return df, insert_events(lh, "heart_rate", ["device_id", "time"])


def workouts(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    df = _bronze_topic(lh, "workout").select(
        # The topic declares an INT (bronze checks that); every table holds BIGINT user ids.
        F.col("user_id").cast("bigint").alias("user_id"),
        "workout_id",
        F.col("timestamp").cast("timestamp").alias("time"),
        "action",
        "session_id",
    )
    # completed_workouts in the same batch: a stop completes its session as
    # soon as it is in workouts (one query and one hop fewer to gold).
    return df, insert_events(
        lh, "workouts", ["user_id", "time"], then=lambda rows: sessions.complete_workouts(lh, rows)
    )


# --- user_bins (SCD type 1) ----------------------------------------------------
AGE_BINS = ((18, 25), (25, 35), (35, 45), (45, 55), (55, 65), (65, 75), (75, 85), (85, 95))


def age_years(dob: Column, at: Column) -> Column:
    """Whole years from ``dob`` to the date of ``at`` (UTC), birthdays counted exactly."""
    from pyspark.sql import functions as F

    day = F.to_date(at)
    before_birthday = (F.month(day) < F.month(dob)) | (
        (F.month(day) == F.month(dob)) & (F.dayofmonth(day) < F.dayofmonth(dob))
    )
    return F.year(day) - F.year(dob) - F.when(before_birthday, 1).otherwise(0)


def age_bin(age: Column) -> Column:
    from pyspark.sql import functions as F

    out = F.when(age < 18, "under 18")
    for lo, hi in AGE_BINS:
        out = out.when((age >= lo) & (age < hi), f"{lo}-{hi}")
    return out.when(age >= 95, "95+")


def write_user_bins(lh: Lakehouse, user_ids: set[int]) -> None:
    """SCD type 1: the bins of ``user_ids`` recomputed from their current profiles.

    Runs in user_profile's micro-batch, after its MERGE, for the users it
    touched: a profile's current row is what the newest-wins MERGE kept, so
    its bins follow from it alone (a deleted profile deletes the user's bins).
    Rows only change when a value does, so gold, which reads user_bins' change
    feed, hears of real changes only. Replaying a batch rewrites nothing.
    """
    from pyspark.sql import functions as F

    if not user_ids:
        return
    spark = lh.spark
    current = (
        spark.read.table(lh.table("user_profile"))
        .where(prune.in_list("user_id", user_ids))
        .select(
            "user_id",
            age_bin(age_years(F.col("dob"), F.col("updated"))).alias("age"),
            "gender", "city", "state", F.lit(True).alias("present"),
        )
    )
    ids = spark.createDataFrame([(u,) for u in sorted(user_ids)], "user_id BIGINT")
    bins = ids.join(F.broadcast(current), "user_id", "left")
    values = {c: f"s.{c}" for c in BIN_COLUMNS}
    differs = " OR ".join(f"NOT (t.{c} <=> s.{c})" for c in BIN_COLUMNS[1:])
    (
        merge.Merge(lh, "user_bins", bins,
                    f"t.user_id = s.user_id AND {prune.in_list('t.user_id', user_ids)}")
        .when_matched_delete(condition="s.present IS NULL")
        .when_matched_update(condition=differs, set=values)
        .when_not_matched_insert(condition="s.present", values=values)
        .execute()
    )


BIN_COLUMNS = ("user_id", "age", "gender", "city", "state")


BUILDERS: dict[str, Callable[[Lakehouse], tuple[DataFrame, BatchFunction]]] = {
    "users": users,
    "gym_logs": gym_logs,
    "user_profile": user_profile,
    "heart_rate": heart_rate,
    "workouts": workouts,
}


def start_stream(lh: Lakehouse, table: str, trigger: Trigger) -> StreamingQuery:
    df, upsert = BUILDERS[table](lh)
    return start(lh, table, df, upsert, trigger, "silver")
