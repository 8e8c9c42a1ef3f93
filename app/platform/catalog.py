"""Unity Catalog names, mapped onto what open-source Spark supports.

Pipeline code names tables ``<catalog>.<schema>.<table>`` as on Databricks.
Open-source Spark has one Delta catalog (``spark_catalog``; a second
DeltaCatalog fails with a null delegate), so locally each catalog+schema pair
becomes one database, ``<catalog>__<schema>``. The tables themselves live as
Delta folders under the ``tables`` external location,
``<tables>/<catalog>/<schema>/<table>``, and are registered again from there
when a session starts: the catalog survives restarts and is shared by every
process (no metastore lock), because storage is the source of truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.platform.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VIEWS_FOLDER = "_views"


def check_identifier(kind: str, name: str) -> str:
    if not _IDENT.match(name):
        raise ConfigError(
            f"{kind} name {name!r} is not a plain identifier (letters, digits, underscores)"
        )
    return name


@dataclass(frozen=True)
class CatalogNames:
    """How ``<catalog>.<schema>.<table>`` is spelled on this runtime."""

    catalog: str
    schema: str
    unity: bool = False

    def __post_init__(self) -> None:
        check_identifier("catalog", self.catalog)
        check_identifier("schema", self.schema)

    @property
    def database(self) -> str:
        """The schema as Spark SQL names it here: 'dev.fitness' or 'dev__fitness'."""
        if self.unity:
            return f"{self.catalog}.{self.schema}"
        return f"{self.catalog}__{self.schema}"

    def table(self, name: str) -> str:
        return f"{self.database}.{check_identifier('table', name)}"


def _hadoop_fs(spark: SparkSession, url: str):  # type: ignore[no-untyped-def]
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    path = jvm.org.apache.hadoop.fs.Path(url)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def list_dirs(spark: SparkSession, url: str) -> list[str]:
    """Names of the sub-folders of ``url``, once each; empty when it does not exist.

    ABFS over a blob (non-HNS) endpoint such as Azurite's lists every folder
    twice (its marker blob and its prefix): without the set, a session would
    register each table twice.
    """
    fs, path = _hadoop_fs(spark, url)
    if not fs.exists(path):
        return []
    return sorted({s.getPath().getName() for s in fs.listStatus(path) if s.isDirectory()})


def is_delta_table(spark: SparkSession, url: str) -> bool:
    fs, path = _hadoop_fs(spark, url.rstrip("/") + "/_delta_log")
    return bool(fs.exists(path))


def read_text_files(spark: SparkSession, url: str) -> dict[str, str]:
    """Contents of the files directly under ``url`` (small files only)."""
    fs, path = _hadoop_fs(spark, url)
    if not fs.exists(path):
        return {}
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    out = {}
    for status in fs.listStatus(path):
        if status.isDirectory():
            continue
        stream = fs.open(status.getPath())
        try:
            data = jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
        finally:
            stream.close()
        out[status.getPath().getName()] = str(data)
    return out


def write_text_file(spark: SparkSession, url: str, text: str) -> None:
    fs, path = _hadoop_fs(spark, url)
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def make_dirs(spark: SparkSession, url: str) -> None:
    """Create the folder ``url`` (and its parents) unless it exists."""
    fs, path = _hadoop_fs(spark, url)
    if not fs.exists(path):
        fs.mkdirs(path)


def delete_path(spark: SparkSession, url: str) -> None:
    fs, path = _hadoop_fs(spark, url)
    if fs.exists(path):
        fs.delete(path, True)
