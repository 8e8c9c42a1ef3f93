"""What the local Auto Loader keeps under ``cloudFiles.schemaLocation``.

- ``_schemas/<version>``: the stream's schema, one file per version, as
  Auto Loader keeps it (version 0 is the first inference). The content is
  Auto Loader's too: ``v1`` on the first line, the schema as Spark's JSON on
  the second.
- ``_stand_in/existing_files_cutoff``: for ``includeExistingFiles=false``, the
  newest modification time among the files present at the first start
  (Auto Loader keeps that in its checkpoint, which a reader cannot see).

Files go through Hadoop's ``FileSystem`` (``catalog``'s small-file helpers),
so they work on every storage the session reaches (file:, abfs:// on Azurite
or ADLS). Spark's DataFrame text writer would also work under Spark Connect,
but on abfs:// with hadoop-azure 3.5 it fails (NullPointerException on the
job id of the output committer), and it would write a folder per version
where Auto Loader writes a file. So under Spark Connect (no Hadoop client in
this process) a read that needs the schema location is refused with a clear
error; reads with a schema, like the pipeline's bronze, do not touch it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from app.platform.errors import CloudFilesOptionError, CloudFilesSchemaError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

SCHEMAS = "_schemas"
CUTOFF = "_stand_in/existing_files_cutoff"
FORMAT_VERSION = "v1"


def _hadoop(spark: SparkSession) -> None:
    from app.platform.catalog_files import has_jvm

    if not has_jvm(spark):
        raise CloudFilesOptionError(
            "the local cloudFiles stand-in keeps cloudFiles.schemaLocation through the driver's "
            "Hadoop file system, which a Spark Connect session does not have: under Connect, "
            "give the read a schema (.schema(...)) and leave includeExistingFiles at true"
        )


def _read_texts(spark: SparkSession, folder: str) -> dict[str, str]:
    """Name -> content of the files directly in ``folder``; empty when it is missing."""
    from app.platform.catalog import read_text_files

    _hadoop(spark)
    return read_text_files(spark, folder)


def _write_text(spark: SparkSession, path: str, text: str) -> None:
    from app.platform.catalog import write_text_file

    _hadoop(spark)
    write_text_file(spark, path, text)


def latest_schema(spark: SparkSession, location: str) -> tuple[int, StructType] | None:
    """The newest schema version stored under ``location``, or None before the first one."""
    from pyspark.sql.types import StructType

    stored = _read_texts(spark, f"{location}/{SCHEMAS}")
    versions = {int(name): text for name, text in stored.items() if name.isdigit()}
    if not versions:
        return None
    version = max(versions)
    lines = versions[version].strip().split("\n", 1)
    if len(lines) != 2 or lines[0] != FORMAT_VERSION:
        raise CloudFilesSchemaError(
            f"{location}/{SCHEMAS}/{version} is not an Auto Loader schema file (its first line "
            f"should be {FORMAT_VERSION!r}): remove it, or use another cloudFiles.schemaLocation"
        )
    schema = StructType.fromJson(json.loads(lines[1]))
    return version, schema


def write_schema(spark: SparkSession, location: str, version: int, schema: StructType) -> None:
    """Store ``schema`` as version ``version``."""
    _write_text(spark, f"{location}/{SCHEMAS}/{version}", f"{FORMAT_VERSION}\n{schema.json()}")


def existing_files_cutoff(spark: SparkSession, location: str) -> tuple[bool, str | None]:
    """(recorded?, the cutoff timestamp text or None when the folder was empty)."""
    folder, name = f"{location}/{CUTOFF}".rsplit("/", 1)
    found = _read_texts(spark, folder)
    if name not in found:
        return False, None
    return True, found[name].strip() or None


def record_existing_files_cutoff(spark: SparkSession, location: str, cutoff: str | None) -> None:
    _write_text(spark, f"{location}/{CUTOFF}", cutoff or "")
