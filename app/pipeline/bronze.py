"""Bronze: incremental ingestion of the landing zone with Auto Loader (``cloudFiles``).

The same code runs on Databricks (real Auto Loader) and locally (the
``app.platform.cloudfiles`` stand-in, installed by the session factory). Every
landing folder is read as text, one row per line, and ``landing.check``
parses and judges each line once (see there why not the JSON or CSV reader).
Good records go to bronze with ``load_time`` and ``source_file``; the Kafka
multiplex also gets ``date`` and ``week_part`` from the date lookup, with the
record timestamp read as milliseconds or seconds, whichever it is. Bad
records go to quarantine with a reason.

The bronze append counts the bad lines as it goes (``DataFrame.observe``),
and the quarantine job (a second pass over the batch, for the detailed
reasons) runs only when there are some.

The same micro-batch then writes the silver tables that follow from the
landed records alone (``settings.STREAMS``; the writers are
``app.pipeline.silver.FOLLOWERS``): users after the registrations, gym_logs
after the logins, heart_rate, workouts (and completed_workouts) and
user_profile (and user_bins) after the Kafka records. They take the checked
records as parsed here, held in memory for the batch, so no silver stream
reads bronze back, parses the Kafka values a second time or waits for a
trigger of its own. Every write of the batch is idempotent (appends that a
replay skips, ``app.pipeline.batch_append``; MERGEs), so a batch replayed
after a crash completes whatever its first attempt did not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from app.pipeline import landing, quarantine, settings
from app.pipeline.batch_append import BatchAppend
from app.pipeline.landing import FILE_TIME, OK, Limits
from app.pipeline.schemas import TABLES
from app.pipeline.streaming import Trigger, start
from app.platform import scheduling

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Observation
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse

log = logging.getLogger(__name__)

# A silver writer that follows from a bronze batch: it gets the batch's good
# records (``landing.record_columns`` plus, for Kafka, the parsed values).
Follower = Callable[["Lakehouse", "DataFrame"], None]


def read_landing(lh: Lakehouse, table: str) -> DataFrame:
    """The Auto Loader stream of one landing folder as lines, with load_time and source_file."""
    from pyspark.sql import functions as F

    reader = (
        lh.spark.readStream.format("cloudFiles")
        .option("cloudFiles.format", "text")
        .option("cloudFiles.schemaLocation", lh.checkpoint(table))
        .option("cloudFiles.maxBytesPerTrigger", settings.BRONZE_MAX_BYTES_PER_TRIGGER)
        .schema("value STRING")
    )
    return reader.load(lh.path("data_zone", settings.LANDING[table])).select(
        "value",
        F.col("_metadata.file_path").alias("source_file"),
        F.col("_metadata.file_modification_time").alias(FILE_TIME),
    )


def event_time(ts: Column) -> Column:
    """A Kafka record timestamp as TIMESTAMP, whether it is in milliseconds or seconds.

    Only for records ``landing`` found inside the plausibility window, so the
    BIGINT cast cannot overflow.
    """
    from pyspark.sql import functions as F

    return F.when(ts >= settings.MILLIS_THRESHOLD, F.timestamp_millis(ts.cast("bigint"))).otherwise(
        F.timestamp_seconds(ts)
    )


def _columns(table: str) -> list[str]:
    from pyspark.sql.types import StructType

    schema = StructType.fromDDL(TABLES[table][0])
    assert isinstance(schema, StructType)
    return schema.fieldNames()


def _with_dates(lh: Lakehouse, good: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    lookup = lh.spark.table(lh.table("date_lookup")).select(
        F.col("date").alias("_date"), "week_part"
    )
    # Left join: a record whose day is missing from the lookup still lands
    # (with NULL week_part) rather than vanishing.
    return (
        good.withColumn("_date", F.to_date(event_time(F.col("timestamp"))))
        .join(F.broadcast(lookup), "_date", "left")
        .withColumn("date", F.col("_date"))
        .withColumn("timestamp", F.col("timestamp").cast("bigint"))
    )


def observed_bad_lines(seen: Observation) -> int | None:
    """Bad lines the bronze append counted; None when it did not run.

    A replayed batch's append is skipped (``app.pipeline.batch_append``):
    then nothing was counted and the caller must look for bad lines itself.
    ``Observation.get`` would fail on that empty result, hence the look at
    the JVM object.
    """
    try:
        jo = seen._jo  # type: ignore[attr-defined]
        if jo is None or not jo.future().isCompleted():
            return None
        row = jo.getRow()
        return int(row.getLong(0)) if row.length() > 0 else None
    except AttributeError:  # Spark Connect: no JVM object; the caller looks itself
        return None


def load_time() -> Column:
    from pyspark.sql import functions as F

    return F.current_timestamp().alias("load_time")


def bad_lines(checked: DataFrame) -> DataFrame:
    """The lines of a checked batch judged bad, with their load_time.

    The observe() is an optimisation barrier: without it Spark pushes the
    filter below the projection that computes the verdict and inlines every
    parse into it (132 from_json calls instead of 4, for every line).
    """
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    return (
        checked.observe(Observation(), F.count(F.lit(1)).alias("lines"))
        .where(~F.col(OK))
        .withColumn("load_time", F.current_timestamp())
    )


def make_batch_writer(  # type: ignore[no-untyped-def]
    lh: Lakehouse, table: str, followers: Sequence[Follower] = ()
):
    """foreachBatch: good records to bronze, bad lines to quarantine, then the
    ``followers`` (silver writers) on the good records, all idempotently."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    limits = Limits.from_config(lh.config)
    columns = _columns(table)
    # The app id Delta's guard used before (a batch it wrote is still recognised).
    append = BatchAppend(lh.table(table), app_id=lh.table(table))
    # What the followers read besides the record fields: the Kafka values as
    # landing.check parsed them, one column per topic.
    parsed = [landing.value_column(t) for t in settings.TOPICS] if table == (
        "kafka_multiplex_bz") else []

    def write(batch: DataFrame, batch_id: int) -> None:
        checked = landing.check(table, batch, limits)
        if followers:
            # Parsed once for every writer of the batch (spills to disk if big).
            checked = checked.persist()
        try:
            seen = Observation()
            # observe() counts the bad lines in the same pass, and is a barrier:
            # the filter stays above the projection that computes the verdict
            # (else Spark inlines every parse into the filter, see bad_lines),
            # and the generated code of the parsing stage ends there. load_time
            # comes after it: Spark folds current_timestamp() into a literal that
            # differs per batch, which inlined in that stage would make every
            # micro-batch compile (and JIT) the whole parser again.
            good = (
                checked.observe(seen, F.count_if(~F.col(OK)).alias("bad"))
                .where(F.col(OK))
                .select(*landing.record_columns(table), "source_file", load_time())
            )
            if table == "kafka_multiplex_bz":
                good = _with_dates(lh, good)
            append(good.select(*columns), batch_id)
            bad = observed_bad_lines(seen)
            if bad is None or bad > 0:
                # Also when unknown (a replay): the quarantine append is idempotent too.
                quarantine.append(lh, bad_lines(checked), batch_id, table, limits)
            if followers:
                # The silver writers' per-row work is small: interpreted, like
                # the silver and gold layers (app/platform/codegen.py).
                lh.tune_batch(batch.sparkSession, "silver")
                good_records = checked.where(F.col(OK)).select(
                    *landing.record_columns(table), *parsed
                )
                # Side by side: heart_rate's tasks keep the executors busy
                # while the small writers plan and commit on the driver.
                scheduling.side_by_side(batch.sparkSession, [
                    partial(follow, lh, good_records) for follow in followers
                ])
        finally:
            if followers:
                checked.unpersist()

    return write


def start_stream(
    lh: Lakehouse, table: str, trigger: Trigger, followers: Sequence[Follower] = ()
) -> StreamingQuery:
    return start(
        lh, table, read_landing(lh, table), make_batch_writer(lh, table, followers), trigger,
        "bronze",
    )
