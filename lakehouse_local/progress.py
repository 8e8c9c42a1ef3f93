"""Watching streams catch up with the landing zone, from their progress (never a fixed sleep).

What bronze has taken in comes from the streams' checkpoints, not from
queries on the tables: watching must not compete with the streams.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from app.pipeline import layout, settings
from app.platform.errors import LakehouseError, StorageNotFoundError

if TYPE_CHECKING:
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse


class StreamsStalled(LakehouseError):
    """The streams did not catch up with the landing zone in time."""


def landed_files(lh: Lakehouse) -> dict[str, set[str]]:
    """Data files in each landing folder, relative to the data zone."""
    zone = lh.store("data_zone")
    hidden = (".", "_")
    return {
        table: {p for p in zone.list(f"{folder}/") if not p.rsplit("/", 1)[-1].startswith(hidden)}
        for table, folder in settings.LANDING.items()
    }


class FileSourceLog:
    """The landed files bronze has taken in from one folder, read from its checkpoint.

    Spark's file source (the local stand-in for Auto Loader) records every file
    of a batch in ``<checkpoint>/sources/<source>/<batch>`` when it plans the batch,
    and folds them into ``<batch>.compact`` every ten batches. Reading that log
    costs a few small object reads and no Spark job; after the first read, only
    batches that appeared since are read.
    """

    def __init__(self, lh: Lakehouse, table: str, streams: layout.Layout | None = None) -> None:
        self.store = lh.store("checkpoint")
        stream, source = (streams or layout.of(lh)).source(table)
        self.base = f"checkpoints/{stream}/sources/{source}"
        self.folder = settings.LANDING[table]
        self.files: set[str] = set()
        self.batch = -1
        self.started = False

    def relative(self, url: str) -> str:
        """A logged file URL as a path relative to the data zone (``raw/...``)."""
        path = unquote(url)
        i = path.rfind(f"/{self.folder}/")
        return path[i + 1:] if i >= 0 else path

    def _read(self, name: str) -> bytes | None:
        try:
            return self.store.get_bytes(f"{self.base}/{name}")
        except StorageNotFoundError:
            return None

    def _take(self, data: bytes) -> None:
        for line in data.decode("utf-8").splitlines()[1:]:  # line 1 is the log version
            if line.strip():
                self.files.add(self.relative(json.loads(line)["path"]))

    def refresh(self) -> set[str]:
        """Every file logged so far."""
        if not self.started:
            # From the newest compaction on (older batch files may be cleaned up).
            names: dict[int, str] = {}
            for path in self.store.list(f"{self.base}/"):
                name = path.rsplit("/", 1)[-1]
                if name.split(".")[0].isdigit():
                    names[int(name.split(".")[0])] = name
            compacted = [b for b, name in names.items() if name.endswith(".compact")]
            for batch in sorted(b for b in names if b >= max(compacted, default=0)):
                data = self._read(names[batch])
                if data is not None:
                    self._take(data)
                    self.batch = batch
            self.started = True
        while True:
            following = self.batch + 1
            data = self._read(str(following))
            data = data if data is not None else self._read(f"{following}.compact")
            if data is None:
                return self.files
            self._take(data)
            self.batch = following


class Ingestion:
    """How many landed files each bronze stream has yet to take in (landed minus logged)."""

    def __init__(self, lh: Lakehouse) -> None:
        self.lh = lh
        streams = layout.of(lh)
        self.logs = {table: FileSourceLog(lh, table, streams) for table in settings.LANDING}

    def pending(self) -> dict[str, int]:
        landed = landed_files(self.lh)
        return {t: len(landed[t] - self.logs[t].refresh()) for t in landed}


def ingested_files(lh: Lakehouse) -> dict[str, set[str]]:
    """Files each bronze stream has taken in, from its checkpoint (relative to the data zone)."""
    streams = layout.of(lh)
    return {table: FileSourceLog(lh, table, streams).refresh() for table in settings.LANDING}


def pending_files(lh: Lakehouse) -> dict[str, int]:
    return Ingestion(lh).pending()


@dataclass
class Snapshot:
    batches: dict[str, int]
    busy: list[str]


def snapshot(queries: dict[str, StreamingQuery]) -> Snapshot:
    batches, busy = {}, []
    for name, q in queries.items():
        if q.exception() is not None:
            raise LakehouseError(f"stream {name} failed: {q.exception()}")
        if not q.isActive:  # stopped without an error: it will never catch up
            raise LakehouseError(f"stream {name} stopped")
        progress: Any = q.lastProgress
        batches[name] = progress["batchId"] if progress else -1
        status = q.status
        if status.get("isTriggerActive") or status.get("isDataAvailable"):
            busy.append(name)
    return Snapshot(batches, busy)


def wait_caught_up(
    lh: Lakehouse,
    queries: dict[str, StreamingQuery],
    trigger_seconds: float,
    timeout: float = 600.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Wait until every landed file is in bronze and every stream is idle and stays so.

    Idle means: no trigger running, no data available at its last trigger,
    and no new batch over a window longer than two triggers (so a downstream
    stream has had a trigger after its upstream's last commit). Returns the
    seconds waited.

    Raises:
        StreamsStalled: ``timeout`` passed first; the message says which streams lag.
    """
    began = clock()
    ingestion = Ingestion(lh)
    window = max(2.5 * trigger_seconds, 1.0)
    last: Snapshot | None = None
    last_at = began
    while True:
        now = clock()
        snap = snapshot(queries)
        pending = {}
        if not snap.busy:
            pending = {t: n for t, n in ingestion.pending().items() if n}
        settled = not snap.busy and not pending
        if settled and last is not None and snap.batches == last.batches:
            if now - last_at >= window:
                return now - began
        else:
            last, last_at = (snap if settled else None), now
        if now - began > timeout:
            raise StreamsStalled(
                f"streams not caught up after {timeout:.0f}s: busy {snap.busy or 'none'}, "
                f"files not ingested {pending or 'none'}"
            )
        sleep(min(trigger_seconds, 1.0) / 2)
