"""Azurite, the Azure Storage emulator, as a local background process.

The npm package is pinned in emulators/azurite_npm (lockfile) and installed by
`make setup`. Data, pid and log files live under ``<home>/azurite``; ``stop``
only stops a process whose pid file this module wrote.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.platform.config import PROJECT_ROOT, LakehouseConfig
from app.platform.errors import EmulatorNotRunningError

AZURITE_BIN = PROJECT_ROOT / "emulators" / "azurite_npm" / "node_modules" / ".bin" / "azurite-blob"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def is_listening(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def answers_http(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when an Azure blob service answers (any HTTP status counts)."""
    try:
        urllib.request.urlopen(f"http://{host}:{port}/devstoreaccount1?comp=list", timeout=timeout)
    except urllib.error.HTTPError:
        return True  # 403 without a signature: it is up
    except OSError:
        return False
    return True


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    interval: float = 0.1,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass (clock injectable)."""
    deadline = clock() + timeout
    while True:
        if predicate():
            return True
        if clock() >= deadline:
            return False
        sleep(interval)


@dataclass
class AzuriteProcess:
    """One Azurite blob service on loopback, its files under ``folder``."""

    host: str
    port: int
    folder: Path
    access_log: bool = False  # a line per request in the log file

    @classmethod
    def from_config(cls, config: LakehouseConfig) -> AzuriteProcess:
        return cls(config.azurite_host, config.azurite_port, config.home_path / "azurite",
                   access_log=config.azurite_access_log == "on")

    def command(self) -> list[str]:
        """Azurite's command line: loopback only, no telemetry, access log if asked.

        By default Azurite sends telemetry to Azure Application Insights: a
        local emulator has no business calling the cloud (and offline, each
        try fails into the log). Its access log writes a line per request,
        about a hundred a second while the streams run, so it grew by tens of
        megabytes an hour and fell minutes behind the requests it logged (the
        Node process formatting lines beside serving the pipeline).
        """
        return [
            str(AZURITE_BIN),
            "--blobHost", self.host,
            "--blobPort", str(self.port),
            "--location", str(self.data_dir),
            "--skipApiVersionCheck",
            "--loose",
            "--disableProductStyleUrl",
            "--disableTelemetry",
            *(() if self.access_log else ("--silent",)),
        ]

    @property
    def pid_file(self) -> Path:
        return self.folder / "azurite.pid"

    @property
    def log_file(self) -> Path:
        return self.folder / "azurite.log"

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def pid(self) -> int | None:
        """Pid of the Azurite this module started, if it is still alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def running(self) -> bool:
        return answers_http(self.host, self.port)

    def start(self, timeout: float = 30.0) -> bool:
        """Start Azurite unless one already answers; returns True if this call started it.

        Raises:
            EmulatorNotRunningError: Azurite is not installed, or did not come up;
                the message points at the log file.
        """
        if self.running():
            return False
        if not AZURITE_BIN.exists():
            raise EmulatorNotRunningError(
                f"Azurite is not installed ({AZURITE_BIN} missing). Run `make setup`."
            )
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise EmulatorNotRunningError(
                f"refusing to start Azurite on {self.host}: local emulators bind to loopback only"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # survives the `make up` shell; stopped by `make down`
            )
        self.pid_file.write_text(str(proc.pid))
        if not wait_until(lambda: self.running() or proc.poll() is not None, timeout):
            pass
        if not self.running():
            self.stop()
            tail = self.log_file.read_text(errors="replace")[-1500:]
            raise EmulatorNotRunningError(
                f"Azurite did not answer on {self.host}:{self.port} within {timeout:.0f}s "
                f"(is the port taken?). Log {self.log_file}:\n{tail}"
            )
        return True

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the Azurite this module started; True if one was stopped."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if not wait_until(lambda: self.pid() is None or not _alive(pid), timeout):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.pid_file.unlink(missing_ok=True)
        return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of this process still "exists": reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


@contextmanager
def running_azurite(config: LakehouseConfig, folder: Path) -> Iterator[LakehouseConfig]:
    """Yield ``config`` pointed at an Azurite that answers.

    Reuses the one at the configured address, else starts a private one on a
    free loopback port (files under ``folder``) and stops it on exit.
    """
    if answers_http(config.azurite_host, config.azurite_port):
        yield config
        return
    process = AzuriteProcess("127.0.0.1", free_port(), folder)
    process.start()
    try:
        yield config.replace(azurite_host=process.host, azurite_port=process.port)
    finally:
        process.stop()
