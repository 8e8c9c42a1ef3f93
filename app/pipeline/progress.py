"""Watching streams catch up with the landing zone, from their progress (never a fixed sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.pipeline import settings
from app.platform.errors import LakehouseError

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


def ingested_files(lh: Lakehouse) -> dict[str, set[str]]:
    """Files each bronze table (with its quarantined records) has taken in."""
    from app.pipeline.validate import relative_source

    spark = lh.spark
    out = {}
    for table in settings.LANDING:
        rows = spark.sql(
            f"SELECT DISTINCT source_file FROM {lh.table(table)} UNION "
            f"SELECT DISTINCT source_file FROM {lh.table(settings.QUARANTINE)} "
            f"WHERE target_table = '{table}'"
        ).collect()
        out[table] = {relative_source(r.source_file) for r in rows}
    return out


def pending_files(lh: Lakehouse) -> dict[str, int]:
    landed, seen = landed_files(lh), ingested_files(lh)
    return {t: len(landed[t] - seen[t]) for t in landed}


@dataclass
class Snapshot:
    batches: dict[str, int]
    busy: list[str]


def snapshot(queries: dict[str, StreamingQuery]) -> Snapshot:
    batches, busy = {}, []
    for name, q in queries.items():
        if q.exception() is not None:
            raise LakehouseError(f"stream {name} failed: {q.exception()}")
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
    window = max(2.5 * trigger_seconds, 1.0)
    last: Snapshot | None = None
    last_at = began
    while True:
        now = clock()
        snap = snapshot(queries)
        pending = {}
        if not snap.busy:
            pending = {t: n for t, n in pending_files(lh).items() if n}
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
