"""Real pipeline processes for the chaos suite and the crash, outage, lock and secrets tests.

Each child runs ``python -m lakehouse_local ...`` in its own process group (so a
SIGKILL reaches the Spark JVM too), with an environment built from a
``LakehouseConfig``: the child sees exactly the storage, schema and
containers the caller chose, never the developer's ``.env``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from app.platform.config import PROJECT_ROOT, LakehouseConfig

PYTHON = sys.executable


def child_env(config: LakehouseConfig, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment whose ``load_config()`` gives back ``config`` (plus ``extra``)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LAKEHOUSE_", "AZURITE_", "AZURE_", "DATABRICKS_"))}
    for f in fields(LakehouseConfig):
        value = getattr(config, f.name)
        if value not in ("", None):
            env[f.metadata["env"]] = str(value)
    env["PYSPARK_PYTHON"] = env["PYSPARK_DRIVER_PYTHON"] = PYTHON
    # Progress lines must reach the log even when the child is killed.
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def isolated_config(base: LakehouseConfig, tag: str | None = None) -> LakehouseConfig:
    """``base`` on its own schema and containers (nothing shared with a developer's run)."""
    tag = tag or uuid.uuid4().hex[:10]
    return base.replace(
        schema=f"t_{tag}".replace("-", "_"),
        data_zone_container=f"landing-{tag}",
        checkpoint_container=f"checkpoints-{tag}",
        tables_container=f"lakehouse-{tag}",
    )


@dataclass
class Child:
    """One ``python -m ...`` child in its own process group, output in a log file."""

    args: list[str]
    log: Path
    proc: subprocess.Popen[bytes]
    started: float

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill_group(self) -> None:
        """SIGKILL the whole group (Python, the Spark JVM, any Python workers)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        _wait_group_gone(self.proc.pid)

    def interrupt(self) -> None:
        """Ctrl-C: the pipeline stops its streams between two batches."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGINT)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            raise

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _wait_group_gone(pgid: int, timeout: float = 30.0) -> None:
    """Children of a killed group are reparented and die a moment later; wait for that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def start(args: list[str], env: Mapping[str, str], log: Path) -> Child:
    """Start ``python <args>`` from the project root in a new process group."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [PYTHON, *args], cwd=PROJECT_ROOT, env=dict(env), stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    return Child(list(args), log, proc, time.monotonic())


def pipeline(command: str, *options: str, env: Mapping[str, str], log: Path) -> Child:
    """``lakehouse COMMAND`` in a child; once and stream are ``lakehouse run once|stream``."""
    words = ["run", command] if command in ("once", "stream") else [command]
    return start(["-m", "lakehouse_local", *words, *options], env, log)


def run_pipeline(
    command: str, *options: str, env: Mapping[str, str], log: Path, timeout: float = 900.0
) -> tuple[int, str]:
    """Run a pipeline command to the end; returns (exit status, its output)."""
    child = pipeline(command, *options, env=env, log=log)
    status = child.wait(timeout)
    return status, child.output()


def wait_for(
    predicate: Callable[[], bool], timeout: float, interval: float = 0.2,
    alive: Child | None = None,
) -> bool:
    """Poll until ``predicate()``; False on timeout or when ``alive`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if alive is not None and not alive.alive():
            return predicate()
        time.sleep(interval)
    return False
