"""A real 2-worker Spark standalone cluster on loopback, with the pipeline run on it.

The pytest process already holds the run's in-process SparkSession (one per
JVM), so the pipeline runs on the cluster in a subprocess: the CLI's
batch-test with LAKEHOUSE_SPARK_MASTER pointing at the cluster, against Azurite.
The stream test on the cluster is longer and runs only in `make test-cluster`
(CLUSTER_STREAM_TEST=1).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.platform.config import AZURITE_KEY, PROJECT_ROOT, LakehouseConfig, load_config
from emulators import sockets, spark_cluster
from emulators.azurite import free_port

# `make test-long` runs it (CI too): minutes of cluster start and stop.
pytestmark = [pytest.mark.slow, pytest.mark.long, pytest.mark.integration, pytest.mark.cluster]


@dataclass
class Cluster:
    config: LakehouseConfig
    spec: spark_cluster.ClusterSpec
    url: str

    def daemons(self) -> list[spark_cluster.Daemon]:
        return spark_cluster.read_state(self.config)

    def processes(self) -> list[int]:
        return sockets.processes_in_groups(d.pid for d in self.daemons())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("cluster-home")
    config = load_config(env={}, dotenv=Path("/nonexistent"), home=str(home))
    spec = spark_cluster.ClusterSpec(workers=2, port=free_port(), webui_port=free_port())
    url = spark_cluster.up(config, spec)
    try:
        yield Cluster(config, spec, url)
    finally:
        spark_cluster.down(config)


def _assert_all_on_loopback(pids: list[int]) -> list[tuple[str, int]]:
    found = [addr for pid, addrs in sockets.listening(pids).items() for addr in addrs]
    exposed = [f"{h}:{p}" for h, p in found if not sockets.is_loopback(h)]
    assert not exposed, f"listening beyond loopback: {exposed}"
    return found


def test_master_workers_and_web_uis_listen_on_loopback_only(cluster: Cluster) -> None:
    daemons = cluster.daemons()
    assert [d.role for d in daemons] == ["master", "worker-1", "worker-2"]
    ports = {p for _, p in _assert_all_on_loopback(cluster.processes())}
    web_uis = [d.ports["webui_port"] for d in daemons]
    assert {cluster.spec.port, *web_uis} <= ports
    assert 6066 not in ports  # the REST submission server is off
    for port in web_uis:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200
    assert spark_cluster.alive_workers(cluster.spec.webui_port) == 2


def _run_on_cluster(cluster: Cluster, azurite, command: list[str]) -> str:  # type: ignore[no-untyped-def]
    """Run a CLI command on the cluster against Azurite; checks sockets while it runs."""
    tag = uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "AZURITE_"))}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        LAKEHOUSE_HOME=str(cluster.config.home_path),
        LAKEHOUSE_SPARK_MASTER=cluster.url,
        LAKEHOUSE_STORAGE="azurite",
        AZURITE_HOST=azurite.host,
        AZURITE_BLOB_PORT=str(azurite.port),
        LAKEHOUSE_SCHEMA=f"t_{tag}",
        LAKEHOUSE_DATA_ZONE_CONTAINER=f"landing-{tag}",
        LAKEHOUSE_CHECKPOINT_CONTAINER=f"checkpoints-{tag}",
        LAKEHOUSE_TABLES_CONTAINER=f"lakehouse-{tag}",
    )
    log = cluster.config.home_path / f"run-{tag}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "lakehouse_local", *command],
                                stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=PROJECT_ROOT)
        executors_seen = False
        while proc.poll() is None:
            # Executors are the workers' children (their process groups).
            workers = [d.pid for d in cluster.daemons() if d.role != "master"]
            executors = [p for p in sockets.processes_in_groups(workers) if p not in workers]
            if executors and not executors_seen:
                time.sleep(2)  # let them open their ports
                _assert_all_on_loopback(cluster.processes())
                executors_seen = True
            time.sleep(1)
    # The master frees the executors once the driver is gone; the next test starts from idle.
    assert spark_cluster.wait_for_app_end(cluster.spec.webui_port)
    output = log.read_text()
    assert AZURITE_KEY not in output
    assert proc.returncode == 0, output[-4000:]
    assert executors_seen
    return output


def test_batch_test_on_azurite_passes_on_two_workers(cluster: Cluster, azurite) -> None:  # type: ignore[no-untyped-def]
    output = _run_on_cluster(cluster, azurite,
                             ["batch-test", "--sets", "1", "--scale", "0.05", "--seed", "7"])
    assert "batch test passed: 1 sets" in output
    jars = str(Path(cluster.config.jars_dir).resolve())
    worker = spark_cluster.state_folder(cluster.config)
    for n in (1, 2):
        # Each worker ran an executor of the application, launched with the jar folder.
        assert list((worker / f"worker-{n}").glob("app-*/*/stderr")), f"worker-{n} ran nothing"
        assert f"{jars}/*" in (worker / f"worker-{n}.log").read_text()
    # The storage key reached the executors through Spark's conf, never their logs.
    logs = [*worker.glob("*.log"), *worker.glob("worker-*/app-*/*/std*")]
    assert len(logs) >= 5 and not [f for f in logs if AZURITE_KEY in f.read_text(errors="replace")]


@pytest.mark.skipif(not os.environ.get("CLUSTER_STREAM_TEST"),
                    reason="stream test on the cluster: `make test-cluster`")
def test_stream_test_on_azurite_passes_on_two_workers(cluster: Cluster, azurite) -> None:  # type: ignore[no-untyped-def]
    output = _run_on_cluster(cluster, azurite, [
        "stream-test", "--sets", "2", "--scale", "0.05", "--seed", "7",
        "--processing-time", "2 seconds"])
    assert "stream test passed: 2 sets" in output


def test_down_stops_everything_up_started(cluster: Cluster) -> None:
    daemons = cluster.daemons()
    groups = [d.pid for d in daemons]
    ports = [cluster.spec.port] + [d.ports["webui_port"] for d in daemons]
    assert [d.role for d in daemons if d.alive()] == ["master", "worker-1", "worker-2"]
    assert sockets.processes_in_groups(groups)
    assert _spark_daemons_listening_on(ports)  # the check below sees running daemons
    assert sorted(spark_cluster.down(cluster.config)) == ["master", "worker-1", "worker-2"]
    assert sockets.processes_in_groups(groups) == []
    # Nothing of the cluster anywhere: no process naming its folder (the workers'
    # --work-dir) or running inside it (executors run in their application folder).
    # The driver of a finished run is not the cluster's: it names <home>/warehouse.
    folder = str(spark_cluster.state_folder(cluster.config))
    assert _processes_using(folder) == []
    # A freed port is anyone's: the pytest JVM's driver or Azurite may have bound one
    # since (49207 did, in one CI run). What must hold is that no Spark daemon or
    # executor listens on it.
    assert _spark_daemons_listening_on(ports) == []
    assert spark_cluster.read_state(cluster.config) == []
    assert spark_cluster.down(cluster.config) == []  # nothing left to stop


_DAEMON_CLASSES = ("org.apache.spark.deploy.master.Master", "org.apache.spark.deploy.worker.Worker",
                   "org.apache.spark.executor.CoarseGrainedExecutorBackend")


def _spark_daemons_listening_on(ports: list[int]) -> list[tuple[int, str]]:
    """The Spark masters, workers and executors listening on any of ``ports``."""
    pids = [int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit()]
    found = []
    for pid, addresses in sockets.listening(pids).items():
        if not any(p in ports for _, p in addresses):
            continue
        try:
            cmdline = _cmdline(Path(f"/proc/{pid}"))
        except OSError:
            continue
        if any(c in cmdline for c in _DAEMON_CLASSES):
            found.append((pid, cmdline[:200]))
    return found


def _cmdline(process: Path) -> str:
    """A /proc/<pid> entry's command line, arguments joined by spaces (OSError once gone)."""
    return (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def _processes_using(folder: str) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = _cmdline(entry)
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if folder in cmdline or cwd.startswith(folder):
            found.append((int(entry.name), cmdline[:200]))
    return found
