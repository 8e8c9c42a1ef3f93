"""A Spark standalone cluster on this machine: `lakehouse cluster up|down|status`.

One master and N workers as local processes, started with the launcher of the
pinned pip pyspark (``bin/spark-class``), the local stand-in for a Databricks
cluster. Point the pipeline at it with ``LAKEHOUSE_SPARK_MASTER=spark://127.0.0.1:PORT``.

- Everything binds to loopback. ``SPARK_LOCAL_IP`` is what moves the web UIs
  there: Spark's Jetty binds to ``SPARK_LOCAL_IP`` and to 0.0.0.0 without it
  (``--host`` only moves the RPC port). The master's REST submission server
  (port 6066, on by default) is switched off: nothing here submits through it.
- The project's jar folder is on every executor's class path, the way a
  Databricks cluster library is: ``SPARK_DIST_CLASSPATH`` of the worker goes
  into the launch command of each executor it starts.
- Each daemon runs in its own process group (executors and their Python
  workers are its children); state (pids, start times, ports) is kept in
  ``<home>/cluster/cluster.json`` and ``down`` stops those groups only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.platform.config import LakehouseConfig
from app.platform.errors import LakehouseError
from emulators import sockets
from emulators.azurite import free_port, is_listening, wait_until

HOST = "127.0.0.1"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
DAEMON_MEMORY = "512m"  # the master and worker JVMs themselves (Spark's default is 1g)


class ClusterError(LakehouseError):
    """The local Spark cluster did not start, or its state file is unusable."""


@dataclass
class Daemon:
    role: str  # "master" or "worker-N"
    pid: int
    started: int | None  # /proc start time: a reused pid is not ours
    log: str
    ports: dict[str, int] = field(default_factory=dict)

    def alive(self) -> bool:
        return self.started is not None and sockets.start_time(self.pid) == self.started

    def processes(self) -> list[int]:
        """Every live process of this daemon's group (its executors included)."""
        return sockets.processes_in_groups([self.pid]) if self.alive() else []


@dataclass
class ClusterSpec:
    workers: int = 2
    cores: int = 1
    memory: str = "2g"
    port: int = 7077
    webui_port: int = 8080
    # Worker UIs on webui_port + 1, + 2 ... unless 0 (then free ports).
    worker_webui_base: int = 0


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def state_folder(config: LakehouseConfig) -> Path:
    return config.home_path / "cluster"


def _state_file(config: LakehouseConfig) -> Path:
    return state_folder(config) / "cluster.json"


def read_state(config: LakehouseConfig) -> list[Daemon]:
    path = _state_file(config)
    if not path.exists():
        return []
    try:
        return [Daemon(**d) for d in json.loads(path.read_text())["daemons"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ClusterError(f"unreadable cluster state {path} ({exc}); remove it after "
                           "checking no Spark daemon of this project still runs") from None


def running_url(config: LakehouseConfig) -> str | None:
    """The master URL of the cluster this home started, if its master is alive."""
    return master_url([d for d in read_state(config) if d.alive()])


def master_url(daemons: list[Daemon]) -> str | None:
    for d in daemons:
        if d.role == "master":
            return f"spark://{HOST}:{d.ports['port']}"
    return None


def _environment(config: LakehouseConfig, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_LOCAL_IP=HOST,  # the web UIs' bind address (see the module docstring)
        SPARK_LOG_DIR=str(folder),
        SPARK_DAEMON_MEMORY=DAEMON_MEMORY,
        SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false",
        # Executors inherit the worker's launcher environment: jars + interpreter.
        SPARK_DIST_CLASSPATH=str(Path(config.jars_dir).resolve() / "*"),
        PYSPARK_PYTHON=sys.executable,
    )
    # A developer's LAKEHOUSE_* and Azure secrets have no business in the daemons.
    for key in [k for k in env if k.startswith(("LAKEHOUSE_", "AZURE", "AZURITE_"))]:
        del env[key]
    return env


def _launch(args: list[str], env: dict[str, str], log: Path, role: str,
            ports: dict[str, int]) -> Daemon:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [str(spark_home() / "bin" / "spark-class"), *args],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,  # its own process group: `down` stops it and its children
        )
    # spark-class ends in `exec java`, so this pid becomes the daemon's JVM.
    return Daemon(role, proc.pid, sockets.start_time(proc.pid), str(log), ports)


def _master_json(webui_port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{HOST}:{webui_port}/json/", timeout=2) as r:
        return dict(json.loads(r.read()))


def alive_workers(webui_port: int) -> int:
    try:
        info = _master_json(webui_port)
    except OSError:
        return 0
    return sum(1 for w in info.get("workers", []) if w.get("state") == "ALIVE")


def up(config: LakehouseConfig, spec: ClusterSpec | None = None, timeout: float = 90.0) -> str:
    """Start the master and ``spec.workers`` workers; returns the master URL.

    Returns the running cluster's URL when this home already has one.

    Raises:
        ClusterError: a port is taken, the jars are missing, or the daemons did
            not come up in time (the message names their log files).
    """
    spec = spec or ClusterSpec()
    url = running_url(config)
    if url:
        return url
    down(config)  # leftovers of a half-dead cluster
    if not any(Path(config.jars_dir).glob("*.jar")):
        raise ClusterError(f"no jars in {config.jars_dir}: run `make setup` first")
    for port in (spec.port, spec.webui_port):
        if is_listening(HOST, port):
            raise ClusterError(f"port {HOST}:{port} is taken; pick others with --port / "
                               "--webui-port")
    folder = state_folder(config)
    folder.mkdir(parents=True, exist_ok=True)
    env = _environment(config, folder)
    daemons = [_launch(
        [MASTER_CLASS, "--host", HOST, "--port", str(spec.port),
         "--webui-port", str(spec.webui_port)],
        env, folder / "master.log", "master",
        {"port": spec.port, "webui_port": spec.webui_port},
    )]
    _save(config, daemons)
    url = f"spark://{HOST}:{spec.port}"
    try:
        if not wait_until(lambda: is_listening(HOST, spec.port)
                          and is_listening(HOST, spec.webui_port), timeout, interval=0.5):
            raise ClusterError(f"the Spark master did not listen on {url} within "
                               f"{timeout:.0f}s; see {folder / 'master.log'}")
        for n in range(1, spec.workers + 1):
            ui = spec.worker_webui_base + n - 1 if spec.worker_webui_base else free_port()
            work = folder / f"worker-{n}"
            shutil.rmtree(work, ignore_errors=True)  # each application copied the jars there
            work.mkdir()
            daemons.append(_launch(
                [WORKER_CLASS, url, "--cores", str(spec.cores), "--memory", spec.memory,
                 "--host", HOST, "--webui-port", str(ui), "--work-dir", str(work)],
                env, folder / f"worker-{n}.log", f"worker-{n}", {"webui_port": ui},
            ))
            _save(config, daemons)
        if not wait_until(lambda: alive_workers(spec.webui_port) >= spec.workers, timeout,
                          interval=0.5):
            raise ClusterError(f"{alive_workers(spec.webui_port)} of {spec.workers} workers "
                               f"registered within {timeout:.0f}s; see the logs in {folder}")
    except BaseException:
        down(config)
        raise
    return url


def _save(config: LakehouseConfig, daemons: list[Daemon]) -> None:
    path = _state_file(config)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"daemons": [asdict(d) for d in daemons]}, indent=1))
    tmp.replace(path)


def down(config: LakehouseConfig, timeout: float = 20.0) -> list[str]:
    """Stop the daemons `up` started (workers first), with their executors; returns their roles.

    Raises:
        ClusterError: a process of those groups survived SIGKILL.
    """
    daemons = read_state(config)
    ours = [d for d in daemons if d.alive()]
    groups = [d.pid for d in ours]
    # Workers first: a worker stops its executors when told, the master does not.
    for d in sorted(ours, key=lambda d: d.role == "master"):
        _signal_group(d.pid, signal.SIGTERM)
    if not wait_until(lambda: not sockets.processes_in_groups(groups), timeout, interval=0.2):
        for pgid in groups:
            _signal_group(pgid, signal.SIGKILL)
        if not wait_until(lambda: not sockets.processes_in_groups(groups), 5.0, interval=0.2):
            left = sockets.processes_in_groups(groups)
            raise ClusterError(f"processes {left} of the local cluster survived SIGKILL")
    _state_file(config).unlink(missing_ok=True)
    return [d.role for d in ours]


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def status(config: LakehouseConfig) -> dict[str, Any]:
    """What runs: the master URL, each daemon's pid and listening addresses, workers alive."""
    daemons = [d for d in read_state(config) if d.alive()]
    url = master_url(daemons)
    listening = sockets.listening(p for d in daemons for p in d.processes())
    master = next((d for d in daemons if d.role == "master"), None)
    return {
        "master": url,
        "workers_alive": alive_workers(master.ports["webui_port"]) if master else 0,
        "daemons": [
            {"role": d.role, "pid": d.pid, "log": d.log,
             "listening": [f"{h}:{p}" for pid in d.processes() for h, p in listening[pid]]}
            for d in daemons
        ],
    }


def wait_for_app_end(webui_port: int, timeout: float = 30.0) -> bool:
    """True once no application is running on the master (used after a driver exits)."""
    def idle() -> bool:
        try:
            return not _master_json(webui_port).get("activeapps")
        except OSError:
            return False

    return wait_until(idle, timeout, interval=0.5)


def print_status(info: dict[str, Any]) -> None:
    if not info["master"]:
        print("cluster: not running (start it with `lakehouse cluster up`)")
        return
    print(f"cluster: {info['master']} ({info['workers_alive']} workers alive)")
    for d in info["daemons"]:
        print(f"  {d['role']:<9} pid {d['pid']:<7} listening {', '.join(d['listening'])}")

