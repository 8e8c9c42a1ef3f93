"""Bronze: incremental ingestion of the landing zone with Auto Loader (``cloudFiles``).

The same code runs on Databricks (real Auto Loader) and locally (the
``app.platform.cloudfiles`` stand-in, installed by the session factory). One
query reads the three landing folders (``settings.BRONZE_STREAMS``; an
environment an earlier version started keeps a query per folder,
``app.pipeline.layout``), so a micro-batch takes whatever landed in any of
them and the small CSV folders cost no trigger, plan and commit of their
own. Every landing folder is read as text, one row per line, and ``landing.check``
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from app.pipeline import handoff, landing, quarantine, settings
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


# The column of a bronze stream's lines naming the bronze table they land in.
TABLE_COLUMN = "_bronze_table"


@dataclass(frozen=True)
class StartGate:
    """What the batches of a bronze stream started early wait for, in the process that
    creates the tables and loads the history (``run.start_all``, in-process only).

    ``tables`` returns once every table the stream writes exists (its batch reads
    the landed lines meanwhile); ``lookup`` once the history loader is done (only
    the Kafka records join date_lookup, so the CSV folders' records need not wait).
    Each raises what the creation or the load raised.
    """

    tables: Callable[[], object]
    lookup: Callable[[], object]


def schema_location(lh: Lakehouse, stream: str, table: str) -> str:
    """Where Auto Loader keeps what it knows of one landing folder of ``stream``.

    A stream of one folder (an environment an earlier version started) keeps
    its checkpoint, as it always did; a stream of several gives each source
    a folder of its own inside it.
    """
    if stream == table:
        return lh.checkpoint(table)
    return f"{lh.checkpoint(stream)}/landing/{table}"


def read_landing(lh: Lakehouse, stream: str, tables: Sequence[str]) -> DataFrame:
    """The Auto Loader streams of ``tables``' landing folders as one: lines with
    load_time, source_file and the bronze table they belong to (``TABLE_COLUMN``)."""
    from functools import reduce

    from pyspark.sql import functions as F

    def folder(table: str) -> DataFrame:
        reader = (
            lh.spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", "text")
            .option("cloudFiles.schemaLocation", schema_location(lh, stream, table))
            .option("cloudFiles.maxBytesPerTrigger", settings.BRONZE_MAX_BYTES_PER_TRIGGER)
            .schema("value STRING")
        )
        return reader.load(lh.path("data_zone", settings.LANDING[table])).select(
            "value",
            F.col("_metadata.file_path").alias("source_file"),
            F.col("_metadata.file_modification_time").alias(FILE_TIME),
            F.lit(table).alias(TABLE_COLUMN),
        )

    return reduce(lambda a, b: a.union(b), [folder(t) for t in tables])


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


def app_id(lh: Lakehouse, stream: str, table: str) -> str:
    """The id ``stream``'s appends to ``table`` carry (``BatchAppend``, quarantine's txnAppId).

    A stream of one folder keeps the id its appends always had; the stream of
    every folder has ids of its own, since its batch ids start again at 0.
    """
    return lh.table(table) if stream == table else f"{lh.table(table)} from {stream}"


class TableIngest:
    """One bronze table's part of a micro-batch: its lines checked, good records
    appended, bad lines to quarantine; then its silver ``followers``."""

    def __init__(self, lh: Lakehouse, stream: str, table: str,
                 followers: Sequence[Follower], gate: StartGate | None = None) -> None:
        self.lh, self.table, self.followers = lh, table, tuple(followers)
        self.gate = gate  # None: the tables exist and date_lookup is loaded
        self.limits = Limits.from_config(lh.config)
        self.columns = _columns(table)
        self.app_id = app_id(lh, stream, table)
        self.append = BatchAppend(lh.table(table), app_id=self.app_id)
        # What the followers read besides the record fields: the Kafka values as
        # landing.check parsed them, one column per topic.
        self.parsed = [landing.value_column(t) for t in settings.TOPICS] if table == (
            "kafka_multiplex_bz") else []

    def bronze(self, lines: DataFrame, batch_id: int) -> DataFrame:
        """Check ``lines``, append the good records and quarantine the bad; returns the
        checked lines (persisted when followers will read them: ``release`` after)."""
        from pyspark.sql import Observation
        from pyspark.sql import functions as F

        checked = landing.check(self.table, lines, self.limits)
        if self.followers:
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
                .select(*landing.record_columns(self.table), "source_file", load_time())
            )
            if self.table == "kafka_multiplex_bz":
                if self.gate is not None:
                    self.gate.lookup()
                good = _with_dates(self.lh, good)
            self.append(good.select(*self.columns), batch_id)
            bad = observed_bad_lines(seen)
            if bad is None or bad > 0:
                # Also when unknown (a replay): the quarantine append is idempotent too.
                quarantine.append(self.lh, bad_lines(checked), batch_id, self.table,
                                  self.limits, app_id=self.app_id)
        except BaseException:
            self.release(checked)
            raise
        return checked

    def silver(self, checked: DataFrame) -> list[Callable[[], None]]:
        """The followers' writes, as tasks, on the good records of ``checked``."""
        from pyspark.sql import functions as F

        if not self.followers:
            return []
        good_records = checked.where(F.col(OK)).select(
            *landing.record_columns(self.table), *self.parsed
        )
        return [partial(follow, self.lh, good_records) for follow in self.followers]

    def release(self, checked: DataFrame) -> None:
        if self.followers:
            checked.unpersist()


def make_batch_writer(  # type: ignore[no-untyped-def]
    lh: Lakehouse, stream: str, followers: Mapping[str, Sequence[Follower]],
    gate: StartGate | None = None,
):
    """foreachBatch of a bronze stream over the landing folders of ``followers``' keys:
    each table's good records to bronze and bad lines to quarantine, then every
    table's silver ``followers`` on its good records, all idempotently.

    The bronze writes of the tables run side by side, then (with the batch
    session switched to interpreted expressions, a session-wide setting) all
    the followers side by side: heart_rate's tasks keep the executors busy
    while the small writers plan and commit on the driver.
    """
    from pyspark.sql import functions as F

    ingests = {t: TableIngest(lh, stream, t, f, gate) for t, f in followers.items()}

    def write(batch: DataFrame, batch_id: int) -> None:
        # Gold's batches time themselves by these phases (app.pipeline.handoff).
        with handoff.of(lh.database).batch():
            _write(batch, batch_id)

    def _write(batch: DataFrame, batch_id: int) -> None:
        spark = batch.sparkSession
        # foreachBatch hands over the batch as one RDD of every folder's lines: a
        # filter on the table column reads all of them again (and Spark then
        # counts them again in the query's numInputRows). Held in memory, the
        # lines are read from the files once and split from memory.
        held = len(ingests) > 1
        # persist() returns the same DataFrame: whether to unpersist is this flag.
        lines = batch.persist() if held else batch
        parts = {}
        checked: dict[str, DataFrame] = {}
        try:
            if len(ingests) == 1:
                present = set(ingests)
            else:
                # One job over every partition (an emptiness check per folder would
                # be a job each, and scan every partition for an absent folder); it
                # also fills the cache the bronze writes then read.
                found = lines.agg(F.collect_set(TABLE_COLUMN)).first()
                present = set(found[0]) if found else set()
            for table in ingests:
                if table in present:
                    parts[table] = lines.where(F.col(TABLE_COLUMN) == table).drop(TABLE_COLUMN)
            if parts and gate is not None:
                gate.tables()  # the lines are read (and cached) meanwhile

            def ingest(table: str) -> None:
                checked[table] = ingests[table].bronze(parts[table], batch_id)

            scheduling.side_by_side(spark, [partial(ingest, t) for t in parts])
            tasks = [task for t, c in checked.items() for task in ingests[t].silver(c)]
            if tasks:
                # The silver writers' per-row work is small: interpreted, like
                # the silver and gold layers (app/platform/codegen.py).
                lh.tune_batch(spark, "silver")
                with handoff.of(lh.database).writing_silver():
                    scheduling.side_by_side(spark, tasks)
        finally:
            # The checked lines first: unpersisting the lines they were computed
            # from would make Spark drop their data (to cache them again).
            for table, c in checked.items():
                ingests[table].release(c)
            if held:
                lines.unpersist()

    return write


def start_stream(
    lh: Lakehouse, stream: str, trigger: Trigger, followers: Mapping[str, Sequence[Follower]],
    gate: StartGate | None = None,
) -> StreamingQuery:
    """Start bronze stream ``stream`` over the landing folders of ``followers``' tables.

    ``gate``: for a stream started while its tables are created and the history
    loads, in the same process (``run.start_all``): its first trigger lists and
    reads the landed files meanwhile. Without it, the tables must exist and the
    lookup be loaded already.
    """
    return start(
        lh, stream, read_landing(lh, stream, list(followers)),
        make_batch_writer(lh, stream, followers, gate), trigger, "bronze",
    )
