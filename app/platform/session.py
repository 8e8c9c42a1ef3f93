"""The Spark session factory: one configured in-process Spark + Delta runtime."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.platform import class_archive, cluster, codegen
from app.platform.config import LakehouseConfig
from app.platform.connect_server import ConnectServer, start_server
from app.platform.jars import jar_paths
from app.platform.storage import storage_target

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

FAIR_SCHEDULER_FILE = Path(__file__).with_name("fairscheduler.xml")
LOG4J_FILE = Path(__file__).with_name("log4j2.properties")
# Spark masks conf values whose keys match this in logs and its UI; the
# default misses Hadoop's 'fs.azure.account.key.*' and OAuth client secrets.
# Driver thread stack size (see spark_conf: the interrupted-stream regex).
THREAD_STACK = "64m"
REDACTION_REGEX = r"(?i)secret|password|token|access[.]?key|account\.key|client\.secret"


# Compiled classes kept by Spark's code generator (each some KB of metaspace).
CODEGEN_CACHE_ENTRIES = 2000
# Paths a file read lists on the driver before Spark lists them in a job (default 32):
# ten times a default Auto Loader batch (maxFilesPerTrigger 1000); bronze's batches,
# bounded by bytes instead, reach it only in a backlog of very small files.
PARALLEL_LISTING_PATHS = 10_000
# Streaming checkpoint files renamed through FileSystem, not FileContext (spark_conf).
CHECKPOINT_FILE_MANAGER = (
    "org.apache.spark.sql.execution.streaming.checkpointing.FileSystemBasedCheckpointFileManager"
)


def spark_conf(config: LakehouseConfig, archive_to: Path | None = None) -> dict[str, str]:
    """Every Spark setting the session factory applies, secrets included.

    ``archive_to``: write the driver's class-data archive there when the JVM
    exits (``lakehouse_local.spark_archive``); otherwise an archive is used if one
    matches (``class_archive.java_options``).
    """
    if archive_to is not None:
        class_data = f"-XX:ArchiveClassesAtExit={archive_to} {class_archive.QUIET}"
    else:
        class_data = class_archive.java_options(config)
    cores = os.cpu_count() or 2
    partitions = config.shuffle_partitions or cores
    conf = {
        "spark.master": config.spark_master,
        "spark.jars": ",".join(jar_paths(config)),
        # Also on the driver's class path (local mode: the driver is the only JVM):
        # classes of the application class loader can be kept in the class-data
        # archive, those spark.jars loads through its own loader cannot.
        "spark.driver.extraClassPath": os.pathsep.join(jar_paths(config)),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.session.timeZone": "UTC",
        # -Xss: a stream stopped inside a Python foreachBatch gets a Py4J error
        # whose message (a Python and a Java trace) Spark matches with a
        # recursive regex (StreamExecution.PROXY_ERROR) to see it was a stop; with
        # the default 1 MB thread stack that overflows at ~1,500 characters and
        # the JVM prints pages of StackOverflowError. Stack is reserved, not used.
        "spark.driver.extraJavaOptions": (
            f"-Duser.timezone=UTC -Dlog4j2.configurationFile={LOG4J_FILE.as_uri()} "
            f"-Xss{THREAD_STACK} {class_data}"
        ).strip(),
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.driver.memory": config.driver_memory,
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.default.parallelism": str(partitions),
        # Delta replays its log with 50 partitions by default: far too many here.
        "spark.databricks.delta.snapshotPartitions": str(partitions),
        # A file-source micro-batch (bronze's landing folders) resolves its files
        # again in getBatch; past 32 paths Spark lists them in a job of one task
        # per file, each deserializing the Hadoop configuration. On the driver
        # the same listing of 300 landed files took 0.08 s instead of 1.0 s
        # locally and 0.8 s instead of 1.7-2.5 s on Azurite, which serves one
        # request at a time however many tasks ask (NOTES.md, session 25): about
        # a second or two of every bronze batch.
        "spark.sql.sources.parallelPartitionDiscovery.threshold": str(PARALLEL_LISTING_PATHS),
        # Spark keeps 100 compiled classes (whole-stage and expression code) by
        # default. One cycle of the pipeline's streams, their MERGEs and Delta's
        # own log queries needs several hundred, so each cycle recompiled nearly
        # all of them (~490 Janino compiles per run-once of a set, ~14% of the
        # JVM's CPU); with room for them it is ~100, the ones whose literals
        # change (Spark's CodegenMetrics compile count; NOTES.md, session 7).
        "spark.sql.codegen.cache.maxEntries": str(CODEGEN_CACHE_ENTRIES),
        # Interpreted expressions outside bronze (app/platform/codegen.py).
        **codegen.session_conf(config),
        "spark.sql.streaming.stateStore.providerClass": (
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"
        ),
        "spark.scheduler.mode": "FAIR",
        "spark.scheduler.allocation.file": str(FAIR_SCHEDULER_FILE),
        "spark.ui.enabled": config.spark_ui,
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(config.home_path / "warehouse"),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        # Without Hadoop's native library, the local file system answers
        # FileContext.rename's "is the target a symbolic link?" by running
        # `readlink` in a child process. Spark's default checkpoint file manager
        # and Delta's default log store for file: (HDFSLogStore) both rename
        # through FileContext: about 1,000 processes of ~7 ms each per batch test
        # of two reference-size sets (JFR's jdk.ProcessStart events). These two
        # rename through FileSystem (java.io.File.renameTo on local disks).
        # Neither is weaker across processes: FileContext too checks the target,
        # then renames; LocalLogStore adds a lock around that inside the JVM
        # (only the driver commits). The manager is set for every target, so
        # that the tests' one session runs what a session of each target runs.
        "spark.delta.logStore.file.impl": "io.delta.storage.LocalLogStore",
        "spark.sql.streaming.checkpointFileManagerClass": CHECKPOINT_FILE_MANAGER,
        "spark.redaction.regex": REDACTION_REGEX,
        "spark.jars.ivy": str(config.home_path / "ivy"),
    }
    if not cluster.retries_failed_tasks(config.spark_master):
        # Spark 4.1+ hashes every shuffled row (XXH64) so that a retried map
        # task whose output differs can roll back its consumers. Where no task
        # is retried the checksum only costs, about 5% of the JVM's CPU in a profile of a
        # stream run on Azurite (JFR, bronze's Kafka batches, session 23).
        conf["spark.sql.shuffle.orderIndependentChecksum.enabled"] = "false"
    for key, value in storage_target(config).hadoop_conf().items():
        conf[f"spark.hadoop.{key}"] = value
    conf.update(cluster.cluster_conf(config))  # nothing in-process
    return conf


def build_session(
    config: LakehouseConfig, app_name: str = "lakehouse", archive_to: Path | None = None
) -> SparkSession:
    """Start (or return the running) Spark session for ``config``.

    On Databricks the workspace's session is returned untouched.

    Raises:
        JarsMissingError: `make setup` has not resolved Spark's jars.
        EmulatorNotRunningError: the storage target is Azurite and it is down.
        ClusterConfigError: ``spark_master`` is a cluster on another host and
            the storage target or driver address is only reachable here.
    """
    from pyspark.sql import SparkSession

    if config.on_databricks:
        active = SparkSession.getActiveSession()
        if active is None:  # pragma: no cover - only on a Databricks cluster
            raise RuntimeError("no active Spark session on this Databricks cluster")
        return active
    cluster.check(config)
    storage_target(config).check()
    if config.spark_mode == "connect":
        return _connect_session(config)
    conf = spark_conf(config, archive_to)
    # Python workers must run the virtualenv's interpreter, else they fail with
    # "Python worker failed to connect back".
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName(app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    # Local only: Auto Loader's format("cloudFiles") served by Spark's file source.
    from app.platform.cloudfiles import install as install_cloudfiles

    install_cloudfiles()
    spark.sparkContext.setLogLevel(os.environ.get("LAKEHOUSE_SPARK_LOG_LEVEL", "ERROR"))
    return spark


# Local Spark Connect servers this process started, by the config's home: one per run.
_servers: dict[str, ConnectServer] = {}


def _connect_session(config: LakehouseConfig) -> SparkSession:
    """Connect mode: a client session to ``spark_remote``, or to a server started here.

    What the pipeline sees is what Databricks serverless and Databricks Connect
    give it: a ``pyspark.sql.connect`` session, no ``sparkContext``.
    """
    from pyspark.sql import SparkSession

    from app.platform.cloudfiles import install as install_cloudfiles

    url = config.spark_remote
    if not url:
        server = _servers.get(config.home)
        if server is None or server.process.poll() is not None:
            server = start_server(_server_conf(config), config.home_path / "connect")
            _servers[config.home] = server
        url = server.url
    install_cloudfiles()
    return SparkSession.builder.remote(url).getOrCreate()


def _server_conf(config: LakehouseConfig) -> dict[str, str]:
    """The server's settings: the classic session's, plus Azurite's when the target is local.

    Catalog operations (``CREATE DATABASE ... LOCATION``) read the server's
    shared Hadoop configuration, not a session's settings (``Lakehouse.attach``
    sets those), so a server that also serves Azurite lakehouses (the tests
    run both targets against one server) needs Azurite's settings from the start.
    """
    from app.platform.storage import AzuriteTarget

    conf = spark_conf(config)
    if config.storage == "local":
        for key, value in AzuriteTarget(config).hadoop_conf().items():
            conf.setdefault(f"spark.hadoop.{key}", value)
    return conf


def stop_connect_servers() -> None:
    """Stop the local Spark Connect servers this process started (also done at exit)."""
    while _servers:
        _, server = _servers.popitem()
        server.stop()
