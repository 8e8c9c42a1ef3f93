"""One pipeline at a time per environment: a lock held in storage, next to the checkpoints.

Two pipelines on the same checkpoints would plan the same batches twice and
race on every Delta commit, so a run takes this lock before Spark starts and
a second run is refused with a message naming the holder.

- Local folders: an OS file lock (``flock``) on ``<checkpoint>/_locks/pipeline.lock``.
  The kernel drops it when the holding process dies, ``kill -9`` included.
- Azurite and ADLS: a lease on the blob ``_locks/pipeline.lock`` of the
  checkpoint container, renewed in the background. A killed holder's lease
  expires ``duration`` seconds later; a holder on this host whose process is
  gone is recognised at once and its lease broken.

The lock lives outside ``checkpoints/`` because ``cleanup`` removes that
folder. Once it holds the lock, a run clears the unfinished checkpoint writes
a killed run left (``app/platform/checkpoints.py``). The holder (host, pid,
command, schema, start time) is written into the lock file itself, so the
refusal can say who holds it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from app.platform.checkpoints import remove_torn_writes
from app.platform.errors import PipelineLockedError, translate
from app.platform.storage import BlobStore, LocalStore

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse

log = logging.getLogger(__name__)

LOCK_PATH = "_locks/pipeline.lock"
# Azure leases last 15 to 60 s (or forever, which a kill -9 would leave stale).
LEASE_SECONDS = 20
# Renewal answers meaning "this lease id no longer holds the blob".
LEASE_GONE = (
    "LeaseNotPresentWithLeaseOperation", "LeaseIdMismatchWithLeaseOperation",
    "LeaseIsBrokenAndCannotBeRenewed", "LeaseLost",
)
# Exit status of a process that found its lease taken by another pipeline.
LOST_EXIT_STATUS = 75


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: enough for a person to find and stop it."""

    host: str
    pid: int
    command: str
    database: str
    since: str

    @classmethod
    def me(cls, command: str, database: str) -> Holder:
        since = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(socket.gethostname(), os.getpid(), command, database, since)

    @classmethod
    def parse(cls, data: bytes) -> Holder | None:
        try:
            doc = json.loads(data)
            return cls(str(doc["host"]), int(doc["pid"]), str(doc["command"]),
                       str(doc["database"]), str(doc["since"]))
        except (ValueError, KeyError, TypeError):
            return None

    def to_bytes(self) -> bytes:
        return (json.dumps(asdict(self)) + "\n").encode()

    def describe(self) -> str:
        return (f"`{self.command}` (pid {self.pid} on host {self.host}, schema {self.database}, "
                f"since {self.since})")

    def is_dead_here(self) -> bool:
        """True only when the holder ran on this host and its process is gone."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class PipelineLock(ABC):
    """Held for the length of a ``with`` block; ``PipelineLockedError`` when another holds it."""

    where: str
    how: str

    def __init__(self, holder: Holder) -> None:
        self.holder = holder
        # Run once the lock is held: the only moment no other process writes.
        self.on_acquired: list[Callable[[], object]] = []

    @abstractmethod
    def acquire(self) -> None:
        """Take the lock or raise ``PipelineLockedError`` naming its holder."""

    @abstractmethod
    def release(self) -> None:
        """Give the lock back (idempotent)."""

    def refusal(self, other: Holder | None) -> PipelineLockedError:
        who = other.describe() if other else "another process (holder not recorded yet)"
        return PipelineLockedError(
            f"another pipeline is running on this environment: {who} holds the lock "
            f"{self.where} ({self.how}). Two pipelines on the same checkpoints would process "
            "the same data twice: stop that one first (Ctrl-C in its terminal), or wait for "
            "it to finish."
        )

    def __enter__(self) -> PipelineLock:
        self.acquire()
        try:
            for action in self.on_acquired:
                action()
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class FileLock(PipelineLock):
    """``flock`` on a local file: the kernel releases it when the process dies."""

    how = "an OS file lock, freed when its holder exits or is killed"

    def __init__(self, path: Path, holder: Holder) -> None:
        super().__init__(holder)
        self.path = path
        self.where = str(path)
        self._fh: IO[bytes] | None = None

    def acquire(self) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "a+b" neither truncates nor fails when the file exists: the holder's
        # record must survive a contender opening it.
        fh = open(self.path, "a+b")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            other = Holder.parse(fh.read())
            fh.close()
            raise self.refusal(other) from None
        fh.seek(0)
        fh.truncate()
        fh.write(self.holder.to_bytes())
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is None:
            return
        import fcntl

        self._fh.seek(0)
        self._fh.truncate()
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()
        self._fh = None


def _code(exc: BaseException) -> str:
    return str(getattr(exc, "error_code", "") or "")


def _on_lost_default(message: str) -> None:
    # Another pipeline now holds the lease: going on would process its data
    # twice. Stopping the whole process (Spark included) is the only safe move.
    print(f"error: {message}", file=sys.stderr, flush=True)
    os._exit(LOST_EXIT_STATUS)


class LeaseLock(PipelineLock):
    """A blob lease (Azurite, ADLS), renewed every ``duration / 3`` seconds.

    While storage is unreachable the renewal keeps retrying; when it answers
    again the lease is renewed, or taken again if it lapsed and nobody else
    took it meanwhile. If another process holds it, ``on_lost`` is called.
    """

    def __init__(
        self, blob: Any, where: str, holder: Holder, duration: int = LEASE_SECONDS,
        on_lost: Callable[[str], None] = _on_lost_default,
    ) -> None:
        super().__init__(holder)
        self.blob, self.where, self.duration, self.on_lost = blob, where, duration, on_lost
        self.how = (f"a blob lease, renewed while its holder runs and expiring {duration} s "
                    "after it dies")
        self._lease: Any = None
        self._etag: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.renewals = 0
        self.outages = 0

    # -- acquiring ----------------------------------------------------------------------
    def _ensure_blob(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        try:
            self.blob.upload_blob(b"", overwrite=False)
        except ResourceExistsError:
            pass  # exists (and may be leased): fine

    def _read_holder(self) -> Holder | None:
        try:
            return Holder.parse(self.blob.download_blob().readall())
        except Exception:
            return None

    def _take(self) -> Holder | None:
        """Take the lease; returns None on success, else the current holder."""
        from azure.core.exceptions import HttpResponseError
        from azure.storage.blob import BlobLeaseClient

        self._ensure_blob()
        lease = BlobLeaseClient(self.blob)
        try:
            lease.acquire(lease_duration=self.duration)
        except HttpResponseError as exc:
            if _code(exc) != "LeaseAlreadyPresent":
                raise
            other = self._read_holder()
            if other is None or not other.is_dead_here():
                return other or Holder("?", 0, "?", "?", "?")
            # Its holder was killed on this host: no need to wait for the expiry.
            log.info("breaking the lease of %s: that process is gone", other.describe())
            BlobLeaseClient(self.blob).break_lease(lease_break_period=0)
            lease.acquire(lease_duration=self.duration)
        self._lease = lease
        self._etag = self.blob.upload_blob(
            self.holder.to_bytes(), overwrite=True, lease=lease
        ).get("etag")
        return None

    def acquire(self) -> None:
        try:
            other = self._take()
        except Exception as exc:
            raise translate(exc, where=self.where) from exc
        if other is not None:
            raise self.refusal(None if other.pid == 0 else other)
        self._thread = threading.Thread(target=self._renew_loop, name="pipeline-lock",
                                        daemon=True)
        self._thread.start()

    # -- keeping it -----------------------------------------------------------------------
    def _renew_once(self) -> None:
        """Renew; re-take a lapsed lease nobody else took. Raises on a lost lock."""
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        try:
            self._lease.renew(retry_total=1, connection_timeout=5, read_timeout=10)
            return
        except ResourceNotFoundError:
            pass  # the blob is gone (storage wiped): take it again below
        except HttpResponseError as exc:
            if _code(exc) not in LEASE_GONE:
                raise
            props = self.blob.get_blob_properties()
            if props.lease.state == "leased" or props.etag != self._etag:
                other = self._read_holder()
                raise LostLock(
                    f"lost the pipeline lock {self.where}: "
                    f"{other.describe() if other else 'another process'} took it while this "
                    "pipeline could not renew it; stopping so the data is not processed twice"
                ) from exc
        other = self._take()
        if other is not None:
            raise LostLock(f"lost the pipeline lock {self.where} to {other.describe()}")
        log.warning("pipeline lock %s lapsed during a storage outage and was taken again",
                    self.where)

    def _renew_loop(self) -> None:
        interval = self.duration / 3
        failing_since: float | None = None
        while not self._stop.wait(interval if failing_since is None else 2.0):
            try:
                self._renew_once()
            except LostLock as exc:
                self.on_lost(str(exc))
                return
            except Exception as exc:  # storage unreachable: keep trying
                if failing_since is None:
                    failing_since = time.monotonic()
                    self.outages += 1
                    log.warning("cannot renew the pipeline lock %s (%s); retrying",
                                self.where, type(exc).__name__)
                continue
            self.renewals += 1
            if failing_since is not None:
                log.warning("pipeline lock renewed again after %.0f s of storage outage",
                            time.monotonic() - failing_since)
                failing_since = None

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        if self._lease is None:
            return
        try:
            self._lease.release(retry_total=1, connection_timeout=5, read_timeout=10)
        except Exception as exc:  # it expires by itself
            log.warning("could not release the pipeline lock %s (%s); it expires in %d s",
                        self.where, type(exc).__name__, self.duration)
        self._lease = None


class LostLock(Exception):
    """Raised inside the renewal thread only: another process holds the lease now."""


def pipeline_lock(
    lh: Lakehouse, command: str, *, duration: int = LEASE_SECONDS,
    on_lost: Callable[[str], None] = _on_lost_default,
) -> PipelineLock:
    """The lock of ``lh``'s checkpoints, for ``with pipeline_lock(lh, "stream"): ...``."""
    holder = Holder.me(command, lh.database)
    store = lh.store("checkpoint")
    where = f"{lh.location('checkpoint')}/{LOCK_PATH}"
    lock: PipelineLock
    if isinstance(store, LocalStore):
        lock = FileLock(store.root / LOCK_PATH, holder)
    elif isinstance(store, BlobStore):
        blob = store.container.get_blob_client(LOCK_PATH)
        lock = LeaseLock(blob, where, holder, duration, on_lost)
    else:
        raise TypeError(f"no pipeline lock for {type(store).__name__}")
    # A run killed mid-write leaves temporary checkpoint files that can stop a
    # stream for good; the lock's holder is the one process that may clear them.
    lock.on_acquired.append(lambda: remove_torn_writes(store))
    return lock
