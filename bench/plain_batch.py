"""The yardstick for the batch test: a plain one-shot Spark batch job over the same landed files.

No streams, no checkpoints, no MERGE, no validation: read the landing zone
(the Kafka JSON lines, the two CSVs and the date lookup), compute
the heavy tables the way a data engineer would in one batch notebook, write
each as a Delta table (under ``<tables>/plain/``), and read the next one from
it. Written from docs/domain.md alone, on purpose: it shares no code with
``app/pipeline``, so it measures what the work costs, not how the pipeline
happens to do it.

Tables: the bronze of both CSVs and of the Kafka records (kafka_multiplex_bz
with date/week_part from the date lookup), heart_rate, workouts,
completed_workouts, workout_bpm, workout_bpm_summary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.platform import codegen

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from app.platform.lakehouse import Lakehouse

# The landing formats of docs/domain.md, as a reader sees them (epoch seconds as DOUBLE).
KAFKA_RECORD = (
    "key STRING, value STRING, topic STRING, `partition` BIGINT, `offset` BIGINT, "
    "`timestamp` DOUBLE"
)
REGISTERED_USERS = (
    "user_id BIGINT, device_id BIGINT, mac_address STRING, registration_timestamp DOUBLE"
)
GYM_LOGINS = "mac_address STRING, gym BIGINT, login DOUBLE, logout DOUBLE"
DATE_LOOKUP = "date STRING, week_part STRING"
BPM = "device_id BIGINT, time TIMESTAMP, heartrate DOUBLE"
WORKOUT = "user_id INT, workout_id INT, `timestamp` DOUBLE, action STRING, session_id INT"
USER_INFO = (
    "user_id BIGINT, update_type STRING, `timestamp` DOUBLE, dob STRING, gender STRING, "
    "address STRUCT<city: STRING, state: STRING>"
)
# Kafka writes milliseconds, some exports seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
MILLIS_FROM = 100_000_000_000
SESSION_KEYS = ["user_id", "workout_id", "session_id"]
TABLES = (
    "registered_users_bz",
    "gym_logins_bz",
    "kafka_multiplex_bz",
    "heart_rate",
    "workouts",
    "completed_workouts",
    "workout_bpm",
    "workout_bpm_summary",
)


@dataclass
class PlainRun:
    seconds: float
    table_seconds: dict[str, float] = field(default_factory=dict)


def _event_time(ts: Column) -> Column:
    from pyspark.sql import functions as F

    return F.when(ts >= MILLIS_FROM, F.timestamp_millis(ts.cast("bigint"))).otherwise(
        F.timestamp_seconds(ts)
    )


def _age_bin(dob: Column, at: Column) -> Column:
    """The bins of docs/domain.md (under 18, 18-25, 25-35, ... 95+) of the age on ``at``'s date."""
    from pyspark.sql import functions as F

    day = F.to_date(at)
    # Whole years: minus one while this year's birthday is still ahead (Feb 29 on Feb 28 too).
    ahead = (F.month(day) * 100 + F.dayofmonth(day)) < (F.month(dob) * 100 + F.dayofmonth(dob))
    age = F.year(day) - F.year(dob) - F.when(ahead, 1).otherwise(0)
    out = F.when(age < 18, "under 18").when(age < 25, "18-25")
    for lo in range(25, 95, 10):
        out = out.when(age < lo + 10, f"{lo}-{lo + 10}")
    return out.otherwise("95+")


class PlainBatchJob:
    """The job over one lakehouse's landing zone; tables go to ``<tables>/plain/<name>``."""

    def __init__(self, lh: Lakehouse) -> None:
        self.lh = lh
        # Spark's own default, code generated for every expression, as a data
        # engineer's batch notebook runs: the local session interprets them
        # outside bronze (app/platform/codegen.py), which suits micro-batches.
        self.spark = lh.spark.newSession()
        self.spark.conf.set(codegen.FACTORY_MODE, codegen.GENERATED)

    def path(self, table: str) -> str:
        return self.lh.path("tables", "plain", table)

    def landing(self, folder: str) -> str:
        return self.lh.path("data_zone", "raw", folder)

    def write(self, df: DataFrame, table: str, partition_by: tuple[str, ...] = ()) -> DataFrame:
        writer = df.write.format("delta").mode("overwrite")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.save(self.path(table))
        return self.spark.read.format("delta").load(self.path(table))

    def run(self) -> PlainRun:
        from pyspark.sql import functions as F

        spark = self.spark
        timings: dict[str, float] = {}
        began = time.perf_counter()

        def timed(table: str, make: Any, partition_by: tuple[str, ...] = ()) -> DataFrame:
            t0 = time.perf_counter()
            out = self.write(make(), table, partition_by)
            timings[table] = time.perf_counter() - t0
            return out

        dates = (
            spark.read.schema(DATE_LOOKUP)
            .json(self.lh.path("data_zone", "test_data"))
            .select(F.to_date(F.substring(F.trim("date"), 1, 10)).alias("date"),
                    F.trim("week_part").alias("week_part"))
            .dropDuplicates(["date"])
        )

        def csv(folder: str, schema: str) -> Any:
            return lambda: (
                spark.read.schema(schema).option("header", "true").csv(self.landing(folder))
                .select("*", F.current_timestamp().alias("load_time"),
                        F.col("_metadata.file_path").alias("source_file"))
            )

        registered = timed("registered_users_bz", csv("registered_users_bz", REGISTERED_USERS))
        timed("gym_logins_bz", csv("gym_logins_bz", GYM_LOGINS))

        def bronze() -> DataFrame:
            raw = spark.read.schema(KAFKA_RECORD).json(self.landing("kafka_multiplex_bz"))
            return (
                raw.select("*", F.col("_metadata.file_path").alias("source_file"))
                .withColumn("date", F.to_date(_event_time(F.col("timestamp"))))
                .join(F.broadcast(dates), "date", "left")
                .select("key", "value", "topic", "partition", "offset",
                        F.col("timestamp").cast("bigint").alias("timestamp"), "date",
                        "week_part", F.current_timestamp().alias("load_time"), "source_file")
            )

        kafka = timed("kafka_multiplex_bz", bronze, ("topic", "week_part"))

        def topic(name: str, schema: str) -> DataFrame:
            return kafka.where(F.col("topic") == name).select(
                F.from_json("value", schema).alias("v")
            ).select("v.*")

        heart_rate = timed("heart_rate", lambda: (
            topic("bpm", BPM)
            .dropDuplicates(["device_id", "time"])
            .withColumn("valid", F.col("heartrate") > 0)
        ))
        workouts = timed("workouts", lambda: (
            topic("workout", WORKOUT)
            .select("user_id", "workout_id", F.col("timestamp").cast("timestamp").alias("time"),
                    "action", "session_id")
            .dropDuplicates(["user_id", "time"])
        ))

        def completed() -> DataFrame:
            starts = workouts.where("action = 'start'").select(
                *SESSION_KEYS, F.col("time").alias("start_time"))
            stops = workouts.where("action = 'stop'").select(
                *SESSION_KEYS, F.col("time").alias("end_time"))
            return (
                starts.join(stops, SESSION_KEYS)
                .where("end_time > start_time AND end_time <= start_time + INTERVAL 3 HOURS")
                .dropDuplicates(SESSION_KEYS)
            )

        sessions = timed("completed_workouts", completed)
        users = (
            registered.select(F.col("user_id").cast("int").alias("user_id"), "device_id")
            .dropDuplicates(["user_id"])
        )

        def workout_bpm() -> DataFrame:
            of_device = sessions.join(users, "user_id")
            return (
                heart_rate.where("valid")
                .join(F.broadcast(of_device), "device_id")
                .where("time > start_time AND time <= end_time")
                .select(*SESSION_KEYS, "start_time", "end_time", "time", "heartrate")
            )

        bpm = timed("workout_bpm", workout_bpm)

        def summary() -> DataFrame:
            info = topic("user_info", USER_INFO).where(
                F.col("update_type").isin("new", "update", "delete"))
            newest = info.groupBy("user_id").agg(
                F.max_by(F.struct("update_type", "timestamp", "dob", "gender", "address"),
                         "timestamp").alias("p"))
            bins = newest.where("p.update_type <> 'delete'").select(
                "user_id",
                _age_bin(F.to_date("p.dob", "MM/dd/yyyy"),
                         F.col("p.timestamp").cast("timestamp")).alias("age"),
                F.col("p.gender").alias("gender"),
                F.col("p.address.city").alias("city"),
                F.col("p.address.state").alias("state"),
            )
            stats = bpm.groupBy(*SESSION_KEYS).agg(
                F.min("heartrate").alias("min_bpm"),
                F.avg("heartrate").alias("avg_bpm"),
                F.max("heartrate").alias("max_bpm"),
                F.count("heartrate").alias("num_recordings"),
            ).withColumn("user_id", F.col("user_id").cast("bigint"))
            return stats.join(F.broadcast(bins), "user_id")

        timed("workout_bpm_summary", summary)
        return PlainRun(time.perf_counter() - began, timings)

    def counts(self) -> dict[str, int]:
        """Rows per written table (after timing: counting is not part of the job)."""
        return {t: self.spark.read.format("delta").load(self.path(t)).count() for t in TABLES}


def compare_counts(counts: dict[str, int], manifest: dict[str, Any]) -> list[str]:
    """Tables whose row count differs from the generator's ground truth."""
    truth = manifest["counts"]
    return [
        f"{t}: {counts[t]:,} rows, ground truth {truth[t]:,}"
        for t in TABLES
        if t in truth and counts[t] != truth[t]
    ]
