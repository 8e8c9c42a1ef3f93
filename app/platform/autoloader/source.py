"""``read_stream``: one Auto Loader read as a streaming DataFrame, from Spark's file source.

A plain function of (session, options, path, schema): the classic-session
hook in ``app.platform.cloudfiles`` calls it, and so can a Spark Connect
client-side hook or a test, since it uses only public DataFrame APIs.

Two paths, chosen per read:

- direct: formats with a fixed or self-describing schema (text, parquet ...),
  and JSON / CSV with a given schema and no rescued-data column. The read is
  Spark's streaming file source with the options renamed; it costs nothing
  over a direct file-source read. The pipeline's bronze (text) takes this
  path.
- records: JSON / CSV whose schema is inferred, or that rescue data. The
  schema is settled at start (stored one under ``schemaLocation``, else
  inferred and stored; in ``addNewColumns`` mode the newest files are
  re-inferred and new columns appended as a new version), then
  ``records.json_records`` / ``csv_records`` build the columns, the rescued
  data and the new-column stop. JSON is read as text lines, so a line is
  parsed in the JVM against the current schema and its raw keys.

Where Databricks writes the evolved schema before the stream fails, the
stand-in writes it when the stream next starts (the re-inference above): the
restart picks up the new columns either way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from app.platform.autoloader import inference, schema_location
from app.platform.autoloader.options import INFERRED_FORMATS, AutoLoaderOptions, parse
from app.platform.autoloader.records import NewFieldStop, csv_records, json_records
from app.platform.errors import CloudFilesOptionError, CloudFilesSchemaError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger(__name__)

_LISTING_OPTIONS = ("pathglobfilter", "recursivefilelookup")


def _as_struct(schema: Any) -> StructType:
    from pyspark.sql.types import StructType

    if isinstance(schema, StructType):
        return schema
    parsed = StructType.fromDDL(schema)
    assert isinstance(parsed, StructType)
    return parsed


def _file_source(
    spark: SparkSession, fmt: str, options: dict[str, str], path: str, schema: Any
) -> DataFrame:
    reader = spark.readStream.format(fmt).options(**options)
    if schema is not None:
        reader = reader.schema(schema)
    return reader.load(path)


def _stop_on_new(mode: str, location: str | None) -> NewFieldStop | None:
    if mode == "addNewColumns":
        return NewFieldStop(
            True,
            f"Restart the stream: it then adds the new columns to the schema at {location}.",
        )
    if mode == "failOnNewColumns":
        return NewFieldStop(
            False,
            "The schema does not evolve in failOnNewColumns mode: add the columns with "
            "cloudFiles.schemaHints (or a schema), or remove the file.",
        )
    return None


def settle_schema(spark: SparkSession, opts: AutoLoaderOptions, path: str, mode: str) -> StructType:
    """The inferred stream's schema at start: stored, first inferred, or evolved."""
    location = opts.schema_location
    if not location:
        raise CloudFilesOptionError(
            "a cloudFiles read without a schema needs cloudFiles.schemaLocation (Auto Loader "
            "stores the inferred schema there): add .option('cloudFiles.schemaLocation', "
            "<folder>) or give .schema(...)"
        )
    stored = schema_location.latest_schema(spark, location)
    if stored is None:
        files = inference.list_files(spark, path, opts)
        if not files:
            raise CloudFilesSchemaError(
                f"[CF_EMPTY_DIR_FOR_SCHEMA_INFERENCE] cannot infer the schema of {path}: it holds "
                "no files. Start the stream when there are files in the input path, or give "
                ".schema(...)"
            )
        schema = inference.infer(spark, inference.sample(files, opts), opts)
        schema = inference.apply_hints(schema, opts.schema_hints)
        schema_location.write_schema(spark, location, 0, schema)
        log.info("cloudFiles stand-in: schema version 0 of %s stored in %s", path, location)
        return schema
    version, schema = stored
    if mode == "addNewColumns":
        schema = _evolve(spark, opts, path, location, version, schema)
    return inference.apply_hints(schema, opts.schema_hints)


def _evolve(
    spark: SparkSession,
    opts: AutoLoaderOptions,
    path: str,
    location: str,
    version: int,
    schema: StructType,
) -> StructType:
    """``schema`` plus the new columns of the newest files, stored as the next version."""
    newest_files = inference.sample(inference.list_files(spark, path, opts), opts, newest=True)
    if not newest_files:
        return schema
    newest = inference.apply_hints(inference.infer(spark, newest_files, opts), opts.schema_hints)
    added = inference.new_columns(schema, newest)
    if not added:
        return schema
    evolved = inference.merge_new_columns(schema, newest)
    schema_location.write_schema(spark, location, version + 1, evolved)
    log.info(
        "cloudFiles stand-in: schema version %d of %s adds %s", version + 1, path, ", ".join(added)
    )
    return evolved


def _existing_files_filter(spark: SparkSession, opts: AutoLoaderOptions, path: str) -> Any:
    """The filter that skips the files present at the first start (None: keep all)."""
    from pyspark.sql import functions as F

    if opts.include_existing_files:
        return None
    location = opts.schema_location
    if not location:
        raise CloudFilesOptionError(
            "cloudFiles.includeExistingFiles=false needs cloudFiles.schemaLocation locally: the "
            "stand-in records there which files existed at the first start (Auto Loader keeps "
            "that in the stream's checkpoint, which a reader cannot see)"
        )
    recorded, cutoff = schema_location.existing_files_cutoff(spark, location)
    if not recorded:
        files = inference.list_files(spark, path, opts)
        cutoff = str(max(f.modified_micros for f in files)) if files else None
        schema_location.record_existing_files_cutoff(spark, location, cutoff)
    if cutoff is None:
        return None
    return F.unix_micros(F.col("_metadata.file_modification_time")) > F.lit(int(cutoff))


def read_stream(
    spark: SparkSession, options: dict[str, str], path: str, schema: Any = None
) -> DataFrame:
    """``spark.readStream.format("cloudFiles").options(**options).schema(schema).load(path)``
    with Auto Loader's documented semantics (see the module docstring).

    Raises:
        CloudFilesOptionError: an option the stand-in refuses, or a missing one.
        CloudFilesSchemaError: no schema can be inferred (empty folder, bad hints).
    """
    from pyspark.sql.types import StringType, StructField, StructType

    opts = parse(options)
    given = schema is not None
    mode = opts.mode(given)
    rescued = opts.rescued(given)
    if given and opts.evolution_mode == "addNewColumns":
        raise CloudFilesOptionError(
            "cloudFiles.schemaEvolutionMode=addNewColumns does not apply when the read gives a "
            "schema (as on Databricks): drop .schema(...) and use cloudFiles.schemaHints"
        )
    limits = opts.file_source_limits()
    keep = _existing_files_filter(spark, opts, path)
    if opts.format not in INFERRED_FORMATS:
        if rescued or opts.schema_hints or opts.evolution_mode:
            raise CloudFilesOptionError(
                "rescuedDataColumn, cloudFiles.schemaHints and cloudFiles.schemaEvolutionMode "
                f"are emulated for json and csv only, not for cloudFiles.format={opts.format}"
            )
    if opts.format not in INFERRED_FORMATS or (given and mode == "none" and not rescued):
        # Nothing to rescue or check: Spark's file source as it is (bronze's read),
        # the schema passed on as given (a DDL string needs no parsing here).
        df = _file_source(spark, opts.format, {**opts.reader, **limits}, path, schema)
        return df if keep is None else df.where(keep)
    settled = _as_struct(schema) if given else settle_schema(spark, opts, path, mode)
    stop = _stop_on_new(mode, opts.schema_location)
    if opts.format == "json":
        listing = {k: v for k, v in opts.reader.items() if k.lower() in _LISTING_OPTIONS}
        lines = _file_source(spark, "text", {**listing, **limits}, path, "value STRING")
        if keep is not None:
            lines = lines.where(keep)
        return json_records(lines, settled, rescued, stop, opts.reader)
    strings = StructType([StructField(f.name, StringType(), True) for f in settled.fields])
    csv_options = {**opts.reader, **limits}
    header = {k.lower(): v for k, v in opts.reader.items()}.get("header", "false")
    if stop is not None and header.lower() == "true":
        # Spark then checks each file's header against the schema and fails naming the
        # file when a column is new (the stand-in's CSV new-column stop).
        csv_options["enforceSchema"] = "false"
    rows = _file_source(spark, "csv", csv_options, path, strings)
    if keep is not None:
        rows = rows.where(keep)
    return csv_records(rows, settled, rescued)
