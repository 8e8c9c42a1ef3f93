"""A local Spark Connect server, the stand-in for Databricks' Spark Connect endpoint.

Databricks serverless compute, standard (shared) access mode clusters and
Databricks Connect run user code through Spark Connect: the Python process
holds only a gRPC client, with no ``sparkContext`` and no JVM. Connect mode
reproduces that locally: the pinned pyspark's own ``spark-submit`` starts
``SparkConnectServer`` (its jar ships with pip pyspark) with every setting the
classic session factory uses (Delta, the jars, storage credentials), bound to
127.0.0.1 on a free port, and the session factory connects to it.

The settings go in a 0600 properties file, not on the command line, so storage
keys never show in ``ps``. The server runs in its own process group and is
stopped when the Python process that started it exits.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.platform.config import PROJECT_ROOT
from app.platform.errors import ConnectServerError

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT_SECONDS = 120.0


@dataclass
class ConnectServer:
    """One running local Spark Connect server (``url`` is what clients connect to)."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to the server's process group, SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)
        except ProcessLookupError:
            pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


def start_server(conf: dict[str, str], state_dir: Path) -> ConnectServer:
    """Start a Spark Connect server with ``conf`` (spark.* settings); wait until it answers.

    Raises:
        ConnectServerError: it exited or did not answer within START_TIMEOUT_SECONDS.
    """
    import pyspark

    state_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    settings = {
        **conf,
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
    }
    props = state_dir / f"connect-{port}.properties"
    fd = os.open(props, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        for key, value in settings.items():
            # Java properties: backslashes escape, so double them.
            f.write(f"{key}={value.replace(chr(92), chr(92) * 2)}\n")
    log_path = state_dir / f"connect-{port}.log"
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = {
        **os.environ,
        # foreachBatch functions run in Python workers the server starts: they
        # need this interpreter and the project's packages.
        "PYSPARK_PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p
        ),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(submit), "--properties-file", str(props), "--class", SERVER_CLASS,
             "--name", "lakehouse-connect", "spark-internal"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = ConnectServer(process, port, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise ConnectServerError(
                f"the local Spark Connect server did not start (exit code {process.poll()}); "
                f"see {log_path}"
            )
        time.sleep(0.2)
    atexit.register(server.stop)
    return server
