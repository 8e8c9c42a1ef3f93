"""Schema inference as Auto Loader documents it, for JSON and CSV.

- Sampling: the files first discovered (oldest first), up to
  ``cloudFiles.schemaInference.sampleSize.numFiles`` (1000) or ``.numBytes``
  (50 GB), whichever limit is reached first. Re-inference for schema
  evolution samples the newest files instead: new columns arrive there.
- Types: without ``cloudFiles.inferColumnTypes`` every top-level column is
  STRING (JSON and CSV do not encode types, and strings never conflict);
  with it, Spark's JSON / CSV inference decides (BIGINT, DOUBLE, BOOLEAN,
  structs ...).
- ``cloudFiles.schemaHints`` then overrides the named columns' types and
  adds hinted columns the data lacks.

Files are listed with Spark's ``binaryFile`` source (only path, length and
modification time are read), so listing works on any Hadoop storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.platform.errors import CloudFilesSchemaError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

    from app.platform.autoloader.options import AutoLoaderOptions

# Reader options that choose which files exist, so listing must honour them too.
_LISTING_OPTIONS = ("pathglobfilter", "recursivefilelookup")
# Spark adds this when a sampled line is not JSON; it is not a data column.
_CORRUPT = "_corrupt_record"


@dataclass(frozen=True)
class LandedFile:
    path: str
    size: int
    modified_micros: int  # microseconds since the epoch, as Spark's unix_micros gives it


def list_files(spark: SparkSession, path: str, opts: AutoLoaderOptions) -> list[LandedFile]:
    """Every file under ``path`` the read would see, oldest first."""
    from pyspark.errors import AnalysisException
    from pyspark.sql import functions as F

    reader = spark.read.format("binaryFile")
    for key, value in opts.reader.items():
        if key.lower() in _LISTING_OPTIONS:
            reader = reader.option(key, value)
    try:
        rows = (
            reader.load(path)
            .select("path", "length", F.unix_micros("modificationTime").alias("micros"))
            .collect()
        )
    except AnalysisException as exc:
        if "PATH_NOT_FOUND" in str(exc) or "Path does not exist" in str(exc):
            return []
        raise
    files = [LandedFile(r.path, r.length, r.micros) for r in rows]
    return sorted(files, key=lambda f: (f.modified_micros, f.path))


def sample(files: list[LandedFile], opts: AutoLoaderOptions, newest: bool = False) -> list[str]:
    """The files inference reads: the first discovered (or newest) within both size limits."""
    picked: list[str] = []
    total = 0
    for f in reversed(files) if newest else files:
        if len(picked) >= opts.sample_files or (picked and total + f.size > opts.sample_bytes):
            break
        picked.append(f.path)
        total += f.size
    return picked


def infer(spark: SparkSession, files: list[str], opts: AutoLoaderOptions) -> StructType:
    """The schema of ``files`` as Auto Loader infers it, before hints."""
    from pyspark.sql.types import StringType, StructField, StructType

    reader = spark.read.options(**opts.reader)
    if opts.format == "json":
        inferred = reader.json(files).schema
    else:
        types = str(opts.infer_column_types).lower()
        inferred = reader.option("inferSchema", types).csv(files).schema
    fields = [f for f in inferred.fields if f.name != _CORRUPT]
    if not opts.infer_column_types:
        fields = [StructField(f.name, StringType(), True) for f in fields]
    return StructType(fields)


def apply_hints(schema: StructType, hints: str | None) -> StructType:
    """``schema`` with the hinted columns' types; hinted columns it lacks are appended."""
    from pyspark.sql.types import StructField, StructType

    if not hints:
        return schema
    try:
        hinted = StructType.fromDDL(hints)
    except Exception as exc:
        raise CloudFilesSchemaError(
            f"cloudFiles.schemaHints={hints!r} is not a list of 'column TYPE' pairs the local "
            "stand-in understands (top-level columns only, e.g. 'id BIGINT, price DOUBLE'): "
            f"{str(exc).splitlines()[0]}"
        ) from exc
    assert isinstance(hinted, StructType)
    by_name = {f.name: f for f in hinted.fields}
    fields = [
        StructField(f.name, by_name.pop(f.name).dataType, True) if f.name in by_name else f
        for f in schema.fields
    ]
    return StructType(fields + list(by_name.values()))


def new_columns(schema: StructType, inferred: StructType) -> list[str]:
    """Columns of ``inferred`` that ``schema`` lacks. A name differing only in case is not
    new: Auto Loader rescues it instead of adding a column."""
    known = {f.name.lower() for f in schema.fields}
    return [f.name for f in inferred.fields if f.name.lower() not in known]


def merge_new_columns(schema: StructType, inferred: StructType) -> StructType:
    """``schema`` with ``inferred``'s new columns appended at the end, as Auto Loader evolves."""
    from pyspark.sql.types import StructType

    added = set(new_columns(schema, inferred))
    return StructType(list(schema.fields) + [f for f in inferred.fields if f.name in added])
