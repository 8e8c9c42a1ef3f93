"""Silver: every table of DOMAIN.md, each an idempotent upsert in foreachBatch.

- users, gym_logs, user_profile: sparse dimension streams, deduplicated within
  the micro-batch and MERGEd (insert-if-new, logout-only-if-later, newest-wins
  CDC). No watermark here on purpose: their event times are not the stream's
  clock (a user may register long before the events around it), so a
  watermark would drop legitimate out-of-order rows.
- heart_rate, workouts: the dense event streams; deduplicated with a watermark
  (``settings.WATERMARK_DELAY``) and MERGEd insert-only on their key, so a
  duplicate landed after the watermark is still caught by the MERGE.
- completed_workouts, workout_bpm: stream-stream joins with watermarks on both
  sides and time-range conditions, so state is bounded and a session that
  starts in one run and stops in the next still joins (the state is in the
  checkpoint). The user -> device lookup of workout_bpm is a stream as well,
  and sessions the join could not produce are repaired from the tables.
- user_bins: SCD type 1 from the user_profile change feed.
Event times are DOUBLE epoch seconds cast to TIMESTAMP (microseconds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.pipeline import settings
from app.pipeline.schemas import VALUE_SCHEMAS
from app.pipeline.streaming import BatchFunction, Trigger, start

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse


def _delta(lh: Lakehouse, table: str):  # type: ignore[no-untyped-def]
    from delta.tables import DeltaTable

    return DeltaTable.forName(lh.spark, lh.table(table))


def _newest(df: DataFrame, keys: list[str], order: list[Column]) -> DataFrame:
    """One row per key: the first by ``order``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy(*keys).orderBy(*order)
    return df.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


def _on(keys: list[str]) -> str:
    return " AND ".join(f"t.{k} = s.{k}" for k in keys)


def insert_new(lh: Lakehouse, table: str, keys: list[str]) -> BatchFunction:
    """foreachBatch MERGE that inserts rows whose key is not in ``table`` yet."""

    def upsert(batch: DataFrame, batch_id: int) -> None:
        (
            _delta(lh, table)
            .alias("t")
            .merge(batch.dropDuplicates(keys).alias("s"), _on(keys))
            .whenNotMatchedInsertAll()
            .execute()
        )

    return upsert


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
        )
        (
            _delta(lh, "users")
            .alias("t")
            .merge(first.alias("s"), "t.user_id = s.user_id")
            .whenNotMatchedInsertAll()
            .execute()
        )

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
        )
        (
            _delta(lh, "gym_logs")
            .alias("t")
            .merge(
                visits.alias("s"),
                "t.mac_address = s.mac_address AND t.gym = s.gym AND t.login = s.login",
            )
            .whenMatchedUpdate(
                condition="s.logout > t.login AND (t.logout IS NULL OR s.logout > t.logout)",
                set={"logout": "s.logout"},
            )
            .whenNotMatchedInsertAll()
            .execute()
        )

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

    def upsert(batch: DataFrame, batch_id: int) -> None:
        changes = _newest(
            batch.where(F.col("update_type").isin("new", "update", "delete")),
            ["user_id"],
            [F.col("updated").desc()],
        )
        values = {c: f"s.{c}" for c in PROFILE_COLUMNS}
        (
            _delta(lh, "user_profile")
            .alias("t")
            .merge(changes.alias("s"), "t.user_id = s.user_id")
            .whenMatchedDelete(condition="s.update_type = 'delete' AND t.updated < s.updated")
            .whenMatchedUpdate(condition="s.update_type <> 'delete' AND t.updated < s.updated",
                               set=values)
            .whenNotMatchedInsert(condition="s.update_type <> 'delete'", values=values)
            .execute()
        )

    return df, upsert


# --- heart_rate, workouts: dedupe with watermarks ------------------------------
def heart_rate(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    df = (
        _bronze_topic(lh, "bpm")
        .select("device_id", "time", "heartrate", (F.col("heartrate") > 0).alias("valid"))
        .withWatermark("time", settings.WATERMARK_DELAY)
        .dropDuplicates(["device_id", "time"])
    )
    return df, insert_new(lh, "heart_rate", ["device_id", "time"])


def workouts(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    df = (
        _bronze_topic(lh, "workout")
        .select(
            "user_id",
            "workout_id",
            F.col("timestamp").cast("timestamp").alias("time"),
            "action",
            "session_id",
        )
        .withWatermark("time", settings.WATERMARK_DELAY)
        .dropDuplicates(["user_id", "time"])
    )
    return df, insert_new(lh, "workouts", ["user_id", "time"])


# --- stream-stream joins -------------------------------------------------------
def completed_workouts(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    events = lh.spark.readStream.table(lh.table("workouts"))
    starts = (
        events.where("action = 'start'")
        .select("user_id", "workout_id", "session_id", F.col("time").alias("start_time"))
        .withWatermark("start_time", settings.WATERMARK_DELAY)
        .alias("a")
    )
    stops = (
        events.where("action = 'stop'")
        .select(
            F.col("user_id").alias("stop_user_id"),
            F.col("workout_id").alias("stop_workout_id"),
            F.col("session_id").alias("stop_session_id"),
            F.col("time").alias("end_time"),
        )
        .withWatermark("end_time", settings.WATERMARK_DELAY)
    )
    # Both time bounds matter: they let Spark drop each side's state once no
    # future row of the other side can match it.
    df = starts.join(
        stops,
        F.expr(
            f"""user_id = stop_user_id AND workout_id = stop_workout_id
            AND session_id = stop_session_id AND end_time > start_time
            AND end_time <= start_time + INTERVAL {settings.SESSION_MAX}"""
        ),
    ).select("user_id", "workout_id", "session_id", "start_time", "end_time")
    return df, insert_new(lh, "completed_workouts", ["user_id", "workout_id", "session_id"])


BPM_KEYS = ["user_id", "workout_id", "session_id", "time"]
BPM_COLUMNS = ("user_id", "workout_id", "session_id", "start_time", "end_time", "time", "heartrate")


def workout_bpm(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    spark = lh.spark
    # The user -> device lookup is a stream too (its state kept: users are
    # few), so a session whose user registers late still joins when it does.
    devices = spark.readStream.table(lh.table("users")).select(
        F.col("user_id").cast("int").alias("device_user_id"), "device_id"
    )
    sessions = (
        spark.readStream.table(lh.table("completed_workouts"))
        .withWatermark("end_time", settings.WATERMARK_DELAY)
        .join(devices, F.expr("user_id = device_user_id"))
        .select("user_id", "device_id", "workout_id", "session_id", "start_time", "end_time")
    )
    readings = (
        spark.readStream.table(lh.table("heart_rate"))
        .where("valid")
        .select(F.col("device_id").alias("bpm_device_id"), "time", "heartrate")
        .withWatermark("time", settings.WATERMARK_DELAY)
    )
    df = readings.join(
        sessions,
        F.expr(
            f"""bpm_device_id = device_id AND time > start_time AND time <= end_time
            AND end_time < time + INTERVAL {settings.SESSION_MAX}"""
        ),
    ).select(*BPM_COLUMNS)
    insert = insert_new(lh, "workout_bpm", BPM_KEYS)

    def upsert(batch: DataFrame, batch_id: int) -> None:
        insert(batch, batch_id)
        repair_workout_bpm(lh)

    return df, upsert


def repair_workout_bpm(lh: Lakehouse) -> int:
    """Join, from the tables, the completed sessions the stream-stream join never produced.

    The join only sees a session while its user is known and its readings are
    in state: a session whose user registers late (the users stream lagging
    behind, in stream mode) is dropped by the users lookup, and one that comes
    after the watermark has passed its readings finds them evicted. Those
    sessions have no workout_bpm rows; here they are joined from the tables.
    Insert-only on the same key, so it never duplicates what the join writes.
    Returns the number of sessions repaired (sessions without readings count).
    """
    from pyspark.sql import functions as F

    spark = lh.spark
    done = spark.read.table(lh.table("workout_bpm")).select(
        "user_id", "workout_id", "session_id"
    ).distinct()
    users = spark.read.table(lh.table("users")).select(
        F.col("user_id").cast("int").alias("user_id"), "device_id"
    )
    missing = (
        spark.read.table(lh.table("completed_workouts"))
        .join(done, ["user_id", "workout_id", "session_id"], "left_anti")
        .join(users, "user_id")
        .persist()
    )
    try:
        n = missing.count()
        if n == 0:
            return 0
        rows = (
            spark.read.table(lh.table("heart_rate"))
            .where("valid")
            .select(F.col("device_id").alias("bpm_device_id"), "time", "heartrate")
            .join(
                F.broadcast(missing),
                F.expr("bpm_device_id = device_id AND time > start_time AND time <= end_time"),
            )
            .select(*BPM_COLUMNS)
        )
        insert_new(lh, "workout_bpm", BPM_KEYS)(rows, -1)
        return n
    finally:
        missing.unpersist()


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


def user_bins(lh: Lakehouse) -> tuple[DataFrame, BatchFunction]:
    from pyspark.sql import functions as F

    df = (
        lh.spark.readStream.option("readChangeFeed", "true")
        .table(lh.table("user_profile"))
        .where("_change_type <> 'update_preimage'")
        .select(
            "user_id",
            age_bin(age_years(F.col("dob"), F.col("updated"))).alias("age"),
            "gender",
            "city",
            "state",
            "_change_type",
            "_commit_version",
            "updated",
        )
    )

    def upsert(batch: DataFrame, batch_id: int) -> None:
        latest = _newest(
            batch, ["user_id"], [F.col("_commit_version").desc(), F.col("updated").desc()]
        )
        values = {c: f"s.{c}" for c in ("user_id", "age", "gender", "city", "state")}
        (
            _delta(lh, "user_bins")
            .alias("t")
            .merge(latest.alias("s"), "t.user_id = s.user_id")
            .whenMatchedDelete(condition="s._change_type = 'delete'")
            .whenMatchedUpdate(set=values)
            .whenNotMatchedInsert(condition="s._change_type <> 'delete'", values=values)
            .execute()
        )

    return df, upsert


BUILDERS: dict[str, Callable[[Lakehouse], tuple[DataFrame, BatchFunction]]] = {
    "users": users,
    "gym_logs": gym_logs,
    "user_profile": user_profile,
    "heart_rate": heart_rate,
    "workouts": workouts,
    "completed_workouts": completed_workouts,
    "workout_bpm": workout_bpm,
    "user_bins": user_bins,
}


def start_stream(lh: Lakehouse, table: str, trigger: Trigger) -> StreamingQuery:
    df, upsert = BUILDERS[table](lh)
    return start(lh, table, df, upsert, trigger, "silver")
