"""Cluster mode in the session factory: what it refuses, what it adds, what it leaves alone."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from app.platform import cluster
from app.platform.config import LakehouseConfig, load_config
from app.platform.errors import ClusterConfigError, exit_status
from app.platform.session import build_session, spark_conf

NO_FILE = Path("/nonexistent/.env")
SECRET = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs="
CLUSTER_KEYS = {"spark.submit.deployMode", "spark.pyspark.python", "spark.executor.memory"}


def config(**settings: object) -> LakehouseConfig:
    return load_config(env={}, dotenv=NO_FILE, azurite_key=SECRET, **settings)


@pytest.mark.parametrize("master,in_process,single", [
    ("local[*]", True, True),
    ("local", True, True),
    ("local[2]", True, True),
    ("spark://127.0.0.1:7077", False, True),
    ("spark://localhost:7077", False, True),
    ("spark://10.0.0.5:7077", False, False),
    ("spark://127.0.0.1:7077,10.0.0.5:7077", False, False),
    ("yarn", False, False),
])
def test_masters_are_told_apart(master: str, in_process: bool, single: bool) -> None:
    assert cluster.in_process(master) is in_process
    assert cluster.single_host(master) is single


def test_in_process_session_settings_are_unchanged() -> None:
    conf = spark_conf(config(storage="local"))
    assert not CLUSTER_KEYS & conf.keys()
    assert conf["spark.master"] == "local[*]"
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "127.0.0.1"


def test_cluster_settings_reach_the_executors() -> None:
    conf = spark_conf(config(spark_master="spark://127.0.0.1:7077", executor_memory="900m"))
    assert conf["spark.master"] == "spark://127.0.0.1:7077"
    assert conf["spark.submit.deployMode"] == "client"
    assert conf["spark.pyspark.python"] == sys.executable
    assert conf["spark.executor.memory"] == "900m"
    assert "-Duser.timezone=UTC" in conf["spark.executor.extraJavaOptions"]
    assert "delta-spark" in conf["spark.jars"] and "hadoop-azure" in conf["spark.jars"]
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    # Driver-only settings keep their meaning: this process is the driver (client mode).
    assert "delta-spark" in conf["spark.driver.extraClassPath"]
    assert "spark.executor.extraClassPath" not in conf


def test_local_storage_on_one_host_is_allowed_and_said(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="app.platform.cluster"):
        cluster.check(config(storage="local", spark_master="spark://127.0.0.1:7077"))
    assert "single-host cluster" in caplog.text


def test_local_storage_on_a_remote_cluster_is_refused_before_spark_starts() -> None:
    remote = config(storage="local", spark_master="spark://10.0.0.5:7077")
    with pytest.raises(ClusterConfigError) as err:
        build_session(remote)
    message = str(err.value)
    assert "'local'" in message and "spark://10.0.0.5:7077" in message
    assert "LAKEHOUSE_STORAGE=azurite" in message
    assert exit_status(err.value) == 2


def test_remote_cluster_needs_a_reachable_driver_and_azurite(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ClusterConfigError, match="LAKEHOUSE_SPARK_DRIVER_HOST"):
        cluster.check(config(storage="azurite", spark_master="spark://10.0.0.5:7077"))
    with pytest.raises(ClusterConfigError, match="AZURITE_HOST") as err:
        cluster.check(config(storage="azurite", spark_master="spark://10.0.0.5:7077",
                             spark_driver_host="10.0.0.9"))
    assert SECRET not in str(err.value)
    cluster.check(config(storage="azurite", spark_master="spark://10.0.0.5:7077",
                         spark_driver_host="10.0.0.9", azurite_host="azurite"))
    conf = spark_conf(config(spark_master="spark://10.0.0.5:7077", spark_driver_host="10.0.0.9"))
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "10.0.0.9"


@pytest.mark.parametrize("master, kept", [
    ("local[*]", False),
    ("local[2]", False),
    ("local", False),
    ("local[2,3]", True),  # retries failed tasks: the checksum guards the retry
    ("spark://127.0.0.1:7077", True),
])
def test_shuffle_row_checksums_only_where_a_task_can_be_retried(master: str, kept: bool) -> None:
    conf = spark_conf(config(spark_master=master))
    key = "spark.sql.shuffle.orderIndependentChecksum.enabled"
    assert (key not in conf) is kept
    if not kept:
        assert conf[key] == "false"
