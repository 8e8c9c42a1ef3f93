"""The adapter pipeline code talks to: Spark, table names and external locations.

The same pipeline code runs locally (Azurite or plain folders, in-process
Spark) and on Databricks (Unity Catalog, ADLS); only this object differs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from app.platform import catalog as cat
from app.platform import codegen, metastore
from app.platform.catalog import CatalogNames
from app.platform.catalog_files import CatalogFiles, files_for, has_jvm
from app.platform.config import LakehouseConfig, load_config
from app.platform.delta_log import DeltaRowCount
from app.platform.storage import ObjectStore, StorageTarget, storage_target

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Tables registered side by side when a session starts (each waits on storage).
REGISTER_WORKERS = 6


class Lakehouse:
    """One environment's catalog and storage, as pipeline code sees them."""

    def __init__(self, config: LakehouseConfig, spark: SparkSession | None = None) -> None:
        self.config = config
        self.target: StorageTarget = storage_target(config)
        self.names = CatalogNames(config.catalog, config.schema, unity=config.on_databricks)
        self._spark = spark
        self._registered = False
        # Views whose text this session has put in the catalog and in storage.
        self._views: dict[str, str] = {}
        if spark is not None and not self.config.on_databricks:
            self.attach(spark)

    @classmethod
    def connect(cls, spark: SparkSession | None = None, **overrides: Any) -> Lakehouse:
        """A Lakehouse from the environment's configuration (see ``load_config``)."""
        return cls(load_config(**overrides), spark)

    @property
    def spark(self) -> SparkSession:
        if self._spark is None:
            from app.platform.session import build_session

            self._spark = build_session(self.config)
        if not self._registered:
            self._registered = True
            self.register_from_storage()
        return self._spark

    def attach(self, spark: SparkSession) -> None:
        """Give a running session this target's Hadoop settings (one session, many targets).

        A Spark Connect session gets them as session settings: Spark copies a
        session's settings into the Hadoop configuration of every read and write.
        """
        if has_jvm(spark):
            hadoop = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[union-attr]
            for key, value in self.target.hadoop_conf().items():
                hadoop.set(key, value)
        else:
            for key, value in self.target.hadoop_conf().items():
                spark.conf.set(key, value)

    @property
    def files(self) -> CatalogFiles:
        """The catalog's file operations, through Hadoop (classic) or the object stores."""
        return files_for(self.spark, self.target)

    # A foreachBatch function runs in a Python worker of a Spark Connect server:
    # it arrives pickled, without the client's session (a gRPC channel cannot be
    # pickled), and gets the batch's session there (``bind``).
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_spark"] = None
        state["_registered"] = True  # the driver side registered the tables already
        state["target"] = storage_target(self.config)  # without its cached clients
        return state

    def bind(self, spark: SparkSession) -> None:
        """Use ``spark`` when this Lakehouse has no session (unpickled in a batch worker)."""
        if self._spark is None:
            self._spark = spark

    def tune_batch(self, batch_session: SparkSession, layer: str) -> None:
        """Local runtime settings for a micro-batch of ``layer``, in its stream's own session.

        Only where expressions are generated or interpreted (``codegen``); on
        Databricks nothing: the runtime decides for itself.
        """
        codegen.use_for_batch(batch_session, self.config, layer)

    # --- names and locations -------------------------------------------------
    def table(self, name: str) -> str:
        """The table's name in Spark SQL: ``dev.fitness.users`` on Databricks."""
        return self.names.table(name)

    @property
    def database(self) -> str:
        return self.names.database

    def location(self, name: str) -> str:
        """URL of a named external location: data_zone, checkpoint or tables."""
        return self.target.url(name)

    def path(self, location: str, *parts: str) -> str:
        return "/".join([self.location(location), *(p.strip("/") for p in parts)])

    def checkpoint(self, table: str) -> str:
        """Streaming checkpoint of one target table."""
        return self.path("checkpoint", "checkpoints", cat.check_identifier("table", table))

    @cached_property
    def schema_location(self) -> str:
        return self.path("tables", self.names.catalog, self.names.schema)

    def table_location(self, name: str) -> str:
        return f"{self.schema_location}/{cat.check_identifier('table', name)}"

    def table_folder(self, name: str) -> str:
        """The table's folder relative to the ``tables`` location (``store("tables")``)."""
        table = cat.check_identifier("table", name)
        return f"{self.names.catalog}/{self.names.schema}/{table}"

    def make_folder(self, location: str, *parts: str) -> str:
        """Create a folder under an external location unless it exists; returns its URL.

        Locally through Hadoop's file system (on a blob endpoint such as
        Azurite's, ABFS leaves a marker blob Spark's file source accepts as the
        folder). On Databricks through ``dbutils.fs``, since serverless and
        standard access mode compute refuse the JVM calls.
        """
        url = self.path(location, *parts)
        if self.config.on_databricks:  # pragma: no cover - only on a Databricks cluster
            from pyspark.dbutils import DBUtils  # type: ignore[import-not-found]

            DBUtils(self.spark).fs.mkdirs(url)
        else:
            self.files.make_dirs(url)
        return url

    def count_at(self, name: str, version: int) -> int:
        """Rows of a table at a Delta version: Delta answers from its log's statistics."""
        row = self.spark.sql(
            f"SELECT count(*) AS n FROM delta.`{self.table_location(name)}` VERSION AS OF {version}"
        ).first()
        return int(row["n"]) if row is not None else 0

    def row_count(self, name: str) -> DeltaRowCount:
        """A counter of the table's rows kept up to date from its Delta log (no Spark job)."""
        return DeltaRowCount(self.store("tables"), self.table_folder(name),
                             partial(self.count_at, name))

    def store(self, location: str) -> ObjectStore:
        """Non-Spark file access to an external location (generators, tests)."""
        return self.target.store(location)

    # --- DDL -----------------------------------------------------------------
    def existing(self) -> set[str]:
        """Tables and views of this schema that the session's catalog knows (short names)."""
        spark = self.spark
        if not spark.catalog.databaseExists(self.database):
            return set()
        rows = spark.sql(f"SHOW TABLES IN {self.database}").collect()
        return {r.tableName for r in rows if not r.isTemporary}

    def create_schema(self) -> None:
        if self.names.unity:
            self.spark.sql(f"CREATE SCHEMA IF NOT EXISTS {self.database}")
        elif not self.spark.catalog.databaseExists(self.database):
            self.spark.sql(
                f"CREATE DATABASE IF NOT EXISTS {self.database} LOCATION '{self.schema_location}'"
            )

    def create_table(
        self,
        name: str,
        columns: str,
        partitioned_by: tuple[str, ...] = (),
        properties: dict[str, str] | None = None,
    ) -> str:
        """CREATE TABLE IF NOT EXISTS as a Delta table; returns its full name.

        Locally the table is pinned to its folder under the ``tables``
        location, so any later process can find and register it again.
        """
        full = self.table(name)
        sql = f"CREATE TABLE IF NOT EXISTS {full} ({columns}) USING DELTA"
        if partitioned_by:
            sql += f" PARTITIONED BY ({', '.join(partitioned_by)})"
        if not self.names.unity:
            # Locally the declared external locations are checked here; on Databricks
            # Unity Catalog checks them itself.
            metastore.check_table_location(self.config, self.table_location(name))
            sql += f" LOCATION '{self.table_location(name)}'"
        if properties:
            props = ", ".join(f"'{k}' = '{v}'" for k, v in properties.items())
            sql += f" TBLPROPERTIES ({props})"
        self.spark.sql(sql)
        return full

    def create_view(self, name: str, select_sql: str) -> str:
        """CREATE OR REPLACE VIEW; locally its text is kept in storage for later sessions.

        A view this session registered from storage with the same text is left
        as it is (re-creating it would resolve its tables again for nothing).
        """
        full = self.table(name)
        if self._views.get(name) == select_sql and self.spark.catalog.tableExists(full):
            return full
        self.spark.sql(f"CREATE OR REPLACE VIEW {full} AS {select_sql}")
        if not self.names.unity:
            url = f"{self.schema_location}/{cat.VIEWS_FOLDER}/{name}.sql"
            self.files.write_text_file(url, select_sql)
        self._views[name] = select_sql
        return full

    def drop_schema(self) -> None:
        """Drop the schema with its tables, views and their data."""
        self.spark.sql(f"DROP SCHEMA IF EXISTS {self.database} CASCADE")
        self._views.clear()
        if not self.names.unity:
            self.files.delete_path(self.schema_location)

    def register_from_storage(self) -> list[str]:
        """Register every Delta table and view found under this schema's location.

        A no-op on Databricks, where Unity Catalog already knows them. Each
        table's registration reads its Delta log (storage round trips, little
        CPU), so the tables are registered side by side.
        """
        if self.names.unity:
            return []
        spark = self._spark
        assert spark is not None
        files = files_for(spark, self.target)
        folders = [t for t in files.list_dirs(self.schema_location) if not t.startswith("_")]
        views = files.read_text_files(f"{self.schema_location}/{cat.VIEWS_FOLDER}")
        if not folders and not views:
            return []
        spark.sql(
            f"CREATE DATABASE IF NOT EXISTS {self.database} LOCATION '{self.schema_location}'"
        )

        def register(table: str) -> str | None:
            if not files.is_delta_table(self.table_location(table)):
                return None
            spark.sql(
                f"CREATE TABLE IF NOT EXISTS {self.table(table)} USING DELTA "
                f"LOCATION '{self.table_location(table)}'"
            )
            return table

        with ThreadPoolExecutor(REGISTER_WORKERS, thread_name_prefix="register") as pool:
            found = [t for t in pool.map(register, folders) if t is not None]
        for file_name, select_sql in sorted(views.items()):
            view = file_name.removesuffix(".sql")
            spark.sql(f"CREATE OR REPLACE VIEW {self.table(view)} AS {select_sql}")
            self._views[view] = select_sql
        return found + [v.removesuffix(".sql") for v in views]
