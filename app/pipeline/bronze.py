"""Bronze: incremental ingestion of the landing zone with Auto Loader (``cloudFiles``).

The same code runs on Databricks (real Auto Loader) and locally (the
``emulators.cloudfiles`` stand-in, installed by the session factory). Every
record keeps ``load_time`` and ``source_file``; the multiplexed Kafka export
also gets ``date`` and ``week_part`` from the date lookup, with the record
timestamp read as milliseconds or seconds, whichever it is. Malformed records
go to the quarantine table instead of bronze.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.pipeline import quarantine, settings
from app.pipeline.schemas import LANDING_SCHEMAS, REQUIRED, TABLES, VALUE_REQUIRED, VALUE_SCHEMAS
from app.pipeline.streaming import Trigger, start

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse


def read_landing(lh: Lakehouse, table: str) -> DataFrame:
    """The Auto Loader stream of one landing folder, with load_time and source_file."""
    from pyspark.sql import functions as F

    fmt = settings.LANDING_FORMAT[table]
    reader = (
        lh.spark.readStream.format("cloudFiles")
        .option("cloudFiles.format", fmt)
        .option("cloudFiles.schemaLocation", lh.checkpoint(table))
        .option("cloudFiles.maxFilesPerTrigger", settings.MAX_FILES_PER_TRIGGER)
        .option("rescuedDataColumn", settings.RESCUED)
        .schema(LANDING_SCHEMAS[table])
    )
    if fmt == "csv":
        reader = reader.option("header", "true")
    return reader.load(lh.path("data_zone", settings.LANDING[table])).select(
        "*",
        F.col("_metadata.file_path").alias("source_file"),
        F.current_timestamp().alias("load_time"),
    )


def event_time(ts: Column) -> Column:
    """A Kafka record timestamp as TIMESTAMP, whether it is in milliseconds or seconds."""
    from pyspark.sql import functions as F

    return F.when(ts >= settings.MILLIS_THRESHOLD, F.timestamp_millis(ts.cast("bigint"))).otherwise(
        F.timestamp_seconds(ts)
    )


def reason(table: str) -> Column:
    """Why a landed record of ``table`` is malformed; NULL when it is well formed."""
    from pyspark.sql import functions as F

    ddl, required = LANDING_SCHEMAS[table], REQUIRED[table]
    if settings.LANDING_FORMAT[table] == "csv":
        return quarantine.csv_reason(ddl, required)
    outer = quarantine.json_reason(ddl, required)
    value = quarantine.value_reason("topic", "value", VALUE_SCHEMAS, VALUE_REQUIRED)
    return F.coalesce(outer, value)


def raw_text(table: str) -> Column:
    """The record as landed: the reader's raw line, else the parsed fields re-serialised."""
    from pyspark.sql import functions as F

    cols = [c.split(" ")[0].strip("`") for c in LANDING_SCHEMAS[table].split(", ")]
    if settings.LANDING_FORMAT[table] == "csv":
        rebuilt = F.concat_ws(",", *(F.coalesce(F.col(c).cast("string"), F.lit("")) for c in cols))
    else:
        rebuilt = F.to_json(F.struct(*cols))
    return F.coalesce(F.col(settings.RESCUED), rebuilt)


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


def make_batch_writer(lh: Lakehouse, table: str):  # type: ignore[no-untyped-def]
    """foreachBatch: well-formed rows to bronze, malformed rows to quarantine, idempotently."""
    from pyspark.sql import functions as F

    why = reason(table)
    raw = raw_text(table)
    columns = _columns(table)

    def write(batch: DataFrame, batch_id: int) -> None:
        # Materialise every column first: Spark refuses queries on raw files
        # that reference only the corrupt-record column.
        checked = batch.withColumn("reason", why).withColumn("raw", raw).persist()
        try:
            good = checked.where(F.col("reason").isNull())
            if table == "kafka_multiplex_bz":
                good = _with_dates(lh, good)
            (
                good.select(*columns)
                .write.format("delta")
                .mode("append")
                .option("txnAppId", lh.table(table))
                .option("txnVersion", batch_id)
                .saveAsTable(lh.table(table))
            )
            bad = checked.where(F.col("reason").isNotNull())
            if not bad.isEmpty():
                quarantine.append(lh, bad, batch_id, table)
        finally:
            checked.unpersist()

    return write


def start_stream(lh: Lakehouse, table: str, trigger: Trigger) -> StreamingQuery:
    return start(
        lh, table, read_landing(lh, table), make_batch_writer(lh, table), trigger, "bronze"
    )
