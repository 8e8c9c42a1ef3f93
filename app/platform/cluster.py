"""Cluster mode: what changes when ``spark_master`` names a cluster instead of ``local[*]``.

In-process (``local``, ``local[N]``) nothing here applies, so the default
session is built exactly as before. On a cluster (``spark://host:port``) the
driver stays in this process (client deploy mode) and executors are other
JVMs, possibly on other hosts, so:

- the storage target must be one every executor can reach: ``local`` folders
  only on a single host, Azurite only at an address the workers can resolve;
- executors connect back to the driver at ``spark_driver_host``;
- Python workers run this project's interpreter; Delta and hadoop-azure reach
  the executors through ``spark.jars`` (``session.spark_conf``).
"""

from __future__ import annotations

import logging
import sys

from app.platform.config import LakehouseConfig
from app.platform.errors import ClusterConfigError

log = logging.getLogger(__name__)

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def in_process(master: str) -> bool:
    """True for ``local`` and ``local[...]``: the driver JVM runs the tasks itself."""
    return master == "local" or master.startswith("local[")


def retries_failed_tasks(master: str) -> bool:
    """False for ``local`` and ``local[N]``, which give a task one attempt; ``local[N,F]``
    and every cluster retry it."""
    return not in_process(master) or "," in master


def master_hosts(master: str) -> list[str]:
    """Hosts of a ``spark://h1:p1[,h2:p2]`` URL; empty for any other kind of master."""
    if not master.startswith("spark://"):
        return []
    hosts = []
    for address in master.removeprefix("spark://").split(","):
        host, _, _port = address.rpartition(":")
        hosts.append(host or address)
    return hosts


def single_host(master: str) -> bool:
    """True when every executor runs on this machine (in-process, or masters on loopback)."""
    if in_process(master) or master.startswith("local-cluster["):
        return True
    hosts = master_hosts(master)
    return bool(hosts) and all(h in LOOPBACK for h in hosts)


def check(config: LakehouseConfig) -> None:
    """Refuse settings a cluster cannot work with; say so when ``local`` storage is shared.

    Raises:
        ClusterConfigError: ``local`` storage, a loopback driver address or a
            loopback Azurite with a master on another host.
    """
    master = config.spark_master
    if in_process(master):
        return
    if single_host(master):
        if config.storage == "local":
            log.info("storage target 'local' on a single-host cluster (%s): the executors "
                     "read and write this machine's folders under %s", master, config.home)
        return
    if config.storage == "local":
        raise ClusterConfigError(
            f"storage target 'local' cannot be used with the cluster at {master}: its "
            "folders exist only on this machine and executors on other hosts cannot see them. "
            "Set LAKEHOUSE_STORAGE=azurite (an Azurite every worker reaches) or adls, or run "
            "the cluster on this host (`lakehouse cluster up`, master spark://127.0.0.1:PORT).",
            config.debug_string(),
        )
    if config.spark_driver_host in LOOPBACK:
        raise ClusterConfigError(
            f"the cluster at {master} runs on another host, but executors would connect back "
            f"to the driver at {config.spark_driver_host}. Set LAKEHOUSE_SPARK_DRIVER_HOST "
            "to this machine's address as the workers see it.",
            config.debug_string(),
        )
    if config.storage == "azurite" and config.azurite_host in LOOPBACK:
        raise ClusterConfigError(
            f"Azurite at {config.azurite_host} is not reachable from the workers of the "
            f"cluster at {master}. Set AZURITE_HOST to an address every worker resolves.",
            config.debug_string(),
        )


def cluster_conf(config: LakehouseConfig) -> dict[str, str]:
    """The Spark settings cluster mode adds or replaces; empty in-process."""
    if in_process(config.spark_master):
        return {}
    return {
        # PySpark on a standalone master supports client mode only; said
        # explicitly because the driver-only settings (class archive,
        # spark.driver.extraClassPath, the FAIR file) assume this process is the driver.
        "spark.submit.deployMode": "client",
        "spark.driver.host": config.spark_driver_host,
        "spark.driver.bindAddress": config.spark_driver_host,
        # Python workers on the executors: the same interpreter path (same
        # virtualenv on one host, same image in compose), else they start the
        # system python without pyspark's dependencies.
        "spark.pyspark.python": sys.executable,
        "spark.executor.memory": config.executor_memory,
    }
