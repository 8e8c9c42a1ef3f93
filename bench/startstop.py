"""`python -m lakehouse_local run stream --no-live` as a user runs it: seconds to the first
batch, and from Ctrl-C (SIGINT) to the process's exit.

The command runs as a subprocess in its own process group with its own
schema and containers (environment variables, as a user would set them).
"First batch" = the first ``checkpoints/<table>/commits/0`` object appearing
in its checkpoint location (a stream commits a batch there when the batch has
run), polled through the storage API, so nothing inside the process is
trusted; the first batch of the bronze Kafka stream (landed data taken in) is
timed too, and Ctrl-C comes ``run_after_first`` seconds after that one. SIGINT
goes to the whole process group, as a terminal's Ctrl-C does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.pipeline import layout
from bench.common import private_config

if TYPE_CHECKING:
    from app.platform.config import LakehouseConfig
    from app.platform.storage import ObjectStore

PROJECT_ROOT = Path(__file__).resolve().parents[1]
POLL_SECONDS = 0.1
KILL_AFTER = 180.0
# Bronze's query reads the Kafka folder as its third source (app/pipeline/layout.py).
KAFKA_STREAM, KAFKA_SOURCE = layout.CURRENT.source("kafka_multiplex_bz")


@dataclass
class StartStop:
    # A batch is running once Spark has written its offsets to the checkpoint's
    # write-ahead log (``offsets/0``), done once it wrote ``commits/0``.
    first_batch_running_seconds: float | None = None
    first_running_table: str = ""
    first_batch_seconds: float | None = None
    first_table: str = ""
    # The first batch may be an empty one of a table's initial snapshot; this
    # one took in landed data.
    first_kafka_batch_seconds: float | None = None
    exit_seconds: float | None = None
    exit_code: int | None = None
    log_tail: str = ""


def child_env(config: LakehouseConfig) -> dict[str, str]:
    """The environment a user would export for this config (secrets stay in the environment)."""
    env = dict(os.environ)
    env.update({
        "LAKEHOUSE_STORAGE": config.storage,
        "LAKEHOUSE_SCHEMA": config.schema,
        "LAKEHOUSE_HOME": config.home,
        "LAKEHOUSE_DATA_ZONE_CONTAINER": config.data_zone_container,
        "LAKEHOUSE_CHECKPOINT_CONTAINER": config.checkpoint_container,
        "LAKEHOUSE_TABLES_CONTAINER": config.tables_container,
        "AZURITE_HOST": config.azurite_host,
        "AZURITE_BLOB_PORT": str(config.azurite_port),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYTHONUNBUFFERED": "1",
    })
    return env


def first_batches(store: ObjectStore) -> tuple[set[str], set[str], bool]:
    """Streams whose batch 0 is running (``checkpoints/<s>/offsets/0``), and committed
    (``checkpoints/<s>/commits/0``); and whether a batch of Kafka records has committed."""
    try:
        paths = store.list("checkpoints/")
    except OSError:  # a folder renamed away by Spark while listing: try again next poll
        return set(), set(), False
    split = [p.split("/") for p in paths]
    running = {parts[1] for parts in split if len(parts) == 4 and parts[2:] == ["offsets", "0"]}
    committed = {parts[1] for parts in split if len(parts) == 4 and parts[2:] == ["commits", "0"]}
    return running | committed, committed, kafka_batch_done(paths)


def kafka_batch_done(paths: list[str]) -> bool:
    """A batch of bronze that took in Kafka files has committed: the Kafka source's file
    log names the batch (``sources/<source>/<batch>``) and ``commits/<batch>`` exists."""
    split = [p.split("/") for p in paths]
    with_kafka = {parts[4] for parts in split if len(parts) == 5 and parts[1] == KAFKA_STREAM
                  and parts[2:4] == ["sources", str(KAFKA_SOURCE)] and parts[4].isdigit()}
    committed = {parts[3] for parts in split if len(parts) == 4 and parts[1] == KAFKA_STREAM
                 and parts[2] == "commits"}
    return bool(with_kafka & committed)


def measure(base: LakehouseConfig, target: str, run_after_first: float, log_dir: Path,
            extra_args: tuple[str, ...] = ()) -> StartStop:
    """Start the stream command, wait for its first batch, let it run, Ctrl-C it, time both."""
    from app.platform.storage import storage_target

    config = private_config(base, target)
    storage = storage_target(config)
    storage.provision()  # the command provisions too; here so the poller can list at once
    checkpoints = storage.store("checkpoint")
    out = StartStop()
    log_path = log_dir / f"stream-{target}.log"
    with open(log_path, "wb") as log:
        began = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "lakehouse_local", "run", "stream", "--no-live", *extra_args],
            cwd=PROJECT_ROOT, env=child_env(config), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while proc.poll() is None and time.monotonic() - began < KILL_AFTER:
                running, found, kafka = first_batches(checkpoints)
                now = time.monotonic() - began
                if running and out.first_batch_running_seconds is None:
                    out.first_batch_running_seconds = now
                    out.first_running_table = sorted(running)[0]
                if found and out.first_batch_seconds is None:
                    out.first_batch_seconds, out.first_table = now, sorted(found)[0]
                if kafka:
                    out.first_kafka_batch_seconds = now
                    break
                time.sleep(POLL_SECONDS)
            if proc.poll() is None:
                time.sleep(run_after_first)  # batches in flight when Ctrl-C comes
                sent = time.monotonic()
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    out.exit_code = proc.wait(timeout=KILL_AFTER)
                    out.exit_seconds = time.monotonic() - sent
                except subprocess.TimeoutExpired:
                    pass
            out.exit_code = proc.poll() if out.exit_code is None else out.exit_code
        finally:
            if proc.poll() is None:  # only this process group, which this function started
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    out.log_tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-8:])
    try:
        storage.deprovision()
    except Exception as exc:  # leftovers must not hide the figures
        print(f"  (removing the stream command's containers failed: {exc})")
    return out
