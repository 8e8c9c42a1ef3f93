"""The live view of `make stream`: per table rows, rows/s, last batch duration, lag.

Lag is what a stream still has to take in: for bronze, landed files not yet
ingested; for silver and gold, versions of its source tables not yet read.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from app.pipeline import progress, settings

if TYPE_CHECKING:
    from pyspark.sql.streaming import StreamingQuery

    from app.pipeline.producer import ContinuousProducer
    from app.platform.lakehouse import Lakehouse


def versions_behind(p: dict[str, Any] | None) -> int | None:
    if not p:
        return None
    behind = 0
    for source in p.get("sources", []):
        end, latest = source.get("endOffset"), source.get("latestOffset")
        if isinstance(end, dict) and isinstance(latest, dict) and "reservoirVersion" in end:
            behind += max(0, int(latest.get("reservoirVersion", 0)) - int(end["reservoirVersion"]))
    return behind


class TableCounts:
    """Row counts and pending files, refreshed by a background thread.

    Counting runs Spark jobs that compete with a dozen streams for two cores;
    doing it off the display thread keeps the view ticking (elapsed time,
    stream states, last batch) while the counts catch up.
    """

    def __init__(self, lh: Lakehouse, every: float = 3.0) -> None:
        self.lh = lh
        self.every = every
        self.rows: dict[str, int] = {}
        self.pending: dict[str, int] = {}
        self.quarantined: int | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-counts", daemon=True)

    def refresh(self) -> None:
        lh = self.lh
        rows = {}
        for name in (*settings.BRONZE, *settings.SILVER, *settings.GOLD):
            rows[name] = lh.spark.table(lh.table(name)).count()
        self.pending = progress.pending_files(lh)
        self.quarantined = lh.spark.table(lh.table(settings.QUARANTINE)).count()
        self.rows = rows

    def _run(self) -> None:
        self.lh.spark.sparkContext.setLocalProperty("spark.scheduler.pool", "default")
        while not self._stop.is_set():
            try:
                self.refresh()
                self.error = None
            except Exception as exc:  # a count failing must not kill the view
                self.error = str(exc).splitlines()[0][:120]
            self._stop.wait(self.every)

    def start(self) -> TableCounts:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()


def render(  # type: ignore[no-untyped-def]
    lh: Lakehouse,
    queries: dict[str, StreamingQuery],
    producer: Any,
    elapsed: float,
    counts: TableCounts | None = None,
):
    from rich.table import Table

    if counts is None:  # one-off rendering: count now
        counts = TableCounts(lh)
        counts.refresh()
    table = Table(title=f"{lh.database}  ({elapsed:,.0f}s, Ctrl-C stops)")
    for col in ("table", "layer", "rows", "rows/s", "last batch", "lag", "state"):
        table.add_column(col, justify="left" if col in ("table", "layer", "state") else "right")
    for name in (*settings.BRONZE, *settings.SILVER, *settings.GOLD):
        q = queries.get(name)
        p: Any = q.lastProgress if q is not None else None
        rows = f"{counts.rows[name]:,}" if name in counts.rows else "…"
        rate = f"{p.get('processedRowsPerSecond', 0.0):,.0f}" if p else "-"
        last = f"{p['durationMs'].get('triggerExecution', 0) / 1000:.1f}s" if p else "-"
        if name in settings.BRONZE:
            lag = f"{counts.pending[name]} files" if name in counts.pending else "…"
            layer = "bronze"
        else:
            behind = versions_behind(p)
            lag = "-" if behind is None else f"{behind} versions"
            layer = "gold" if name in settings.GOLD else "silver"
        state = "stopped" if q is None or not q.isActive else (
            "running" if q.status.get("isTriggerActive") else "waiting"
        )
        table.add_row(name, layer, rows, rate, last, lag, state)
    quarantined = "…" if counts.quarantined is None else f"{counts.quarantined:,}"
    note = f"; counts: {counts.error}" if counts.error else ""
    table.caption = f"quarantine: {quarantined} rows; producer: sets landed {producer}{note}"
    return table


def show(
    lh: Lakehouse,
    queries: dict[str, StreamingQuery],
    producer: ContinuousProducer | None,
    duration: float | None = None,
    refresh: float = 3.0,
    stop: threading.Event | None = None,
    interactive: bool = True,
) -> None:
    """Refresh the view until ``stop`` is set (Ctrl-C) or ``duration`` passes.

    Without a terminal (a container's log, CI) or with ``interactive=False``, the
    table is printed every 30 seconds instead of redrawn in place.
    """
    import sys

    from rich.live import Live

    if not interactive or not sys.stdout.isatty():
        _log_until(lh, queries, landed_text=lambda: _landed(producer), duration=duration,
                   stop=stop)
        return

    began = time.monotonic()

    def landed() -> str:
        return _landed(producer)

    counts = TableCounts(lh, every=refresh).start()
    try:
        with Live(render(lh, queries, landed(), 0.0, counts), refresh_per_second=1) as live:
            while (duration is None or time.monotonic() - began < duration) and not (
                stop is not None and stop.is_set()
            ):
                for name, q in queries.items():
                    if q.exception() is not None:
                        raise _failure(name, q)
                live.update(render(lh, queries, landed(), time.monotonic() - began, counts))
                if stop is not None:
                    stop.wait(1.0)  # the display's tick, not a wait for data
                else:
                    time.sleep(1.0)
    finally:
        counts.stop()


def _failure(name: str, query: StreamingQuery) -> BaseException:
    """A failed stream as a LakehouseError when it is a known case, else RuntimeError."""
    from app.platform.errors import LakehouseError, translate

    exc = query.exception()
    known = translate(exc, where=f"stream {name}") if exc is not None else None
    if isinstance(known, LakehouseError):
        return known
    return RuntimeError(f"stream {name} failed: {exc}")


def _landed(producer: ContinuousProducer | None) -> str:
    if producer is None:
        return "(no producer)"
    if producer.error is not None:
        return f"error: {producer.error}"
    return ", ".join(map(str, producer.landed[-5:])) or "none yet"


def _log_until(
    lh: Lakehouse,
    queries: dict[str, StreamingQuery],
    landed_text: Any,
    duration: float | None,
    stop: threading.Event | None,
    log_every: float = 30.0,
) -> None:
    """The non-terminal view: print the table every ``log_every`` seconds."""
    from rich.console import Console

    console = Console(width=120)
    began = time.monotonic()
    stop = stop or threading.Event()
    while not stop.is_set() and (duration is None or time.monotonic() - began < duration):
        for name, q in queries.items():
            if q.exception() is not None:
                raise _failure(name, q)
        console.print(render(lh, queries, landed_text(), time.monotonic() - began))
        wait = log_every if duration is None else min(
            log_every, max(0.0, duration - (time.monotonic() - began))
        )
        stop.wait(wait)
