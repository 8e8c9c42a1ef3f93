"""The live view of `make stream`: per table rows, rows/s, last batch duration, lag.

A table's rows/s is its own: the change of its row count over the last
``TABLE_RATE_WINDOW_SECONDS`` (net, so a batch that deletes more rows than it
adds shows a negative rate). A stream writes several tables, and its input
rate says nothing about, say, ``user_profile``, which takes a few of the
Kafka batch's records.

Lag is what a table's stream still has to take in: for bronze and the silver
tables its batches write, landed files not yet ingested; for gold, versions
of its source tables not yet read.

Nothing here competes with the streams for a core: row counts follow each
table's Delta log (``app.platform.delta_log``), bronze lag compares a landing
listing with the streams' checkpoints (``progress.Ingestion``), and rates come
from the streams' progress and the producer's own counter.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.pipeline import layout, settings
from app.platform import scheduling
from lakehouse_local import progress

if TYPE_CHECKING:
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse
    from lakehouse_local.producer import ContinuousProducer

COUNTED = (*settings.BRONZE, *settings.SILVER, *settings.GOLD, settings.QUARANTINE)
# Window of the pipeline's rate (Kafka records per second into bronze).
RATE_WINDOW_SECONDS = 60.0
# Window of each table's rows/s (from its row counts).
TABLE_RATE_WINDOW_SECONDS = 30.0


class RowRates:
    """Rows per second of each table, from row counts sampled over time.

    The rate spans from the newest sample at least ``window`` seconds old (or
    the oldest one, early on) to the latest: a sample every 3 s (the view) or
    every 30 s (the log) both give a rate over about ``window`` seconds.
    """

    def __init__(self, window: float = TABLE_RATE_WINDOW_SECONDS) -> None:
        self.window = window
        self._samples: deque[tuple[float, dict[str, int]]] = deque()

    def add(self, at: float, rows: Mapping[str, int]) -> None:
        """Row counts read at ``at`` (monotonic seconds)."""
        self._samples.append((at, dict(rows)))
        while len(self._samples) > 2 and self._samples[1][0] <= at - self.window:
            self._samples.popleft()

    def rate(self, table: str) -> float | None:
        """Net rows per second of ``table``; None until two samples hold it."""
        if len(self._samples) < 2:
            return None
        (t0, first), (t1, last) = self._samples[0], self._samples[-1]
        if table not in first or table not in last or t1 <= t0:
            return None
        return (last[table] - first[table]) / (t1 - t0)


def versions_behind(p: dict[str, Any] | None) -> int | None:
    if not p:
        return None
    behind = 0
    for source in p.get("sources", []):
        end, latest = source.get("endOffset"), source.get("latestOffset")
        if isinstance(end, dict) and isinstance(latest, dict) and "reservoirVersion" in end:
            behind += max(0, int(latest.get("reservoirVersion", 0)) - int(end["reservoirVersion"]))
    return behind


def _epoch(timestamp: str) -> float:
    """A progress timestamp ('2026-11-24T06:30:00.123Z') as epoch seconds."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def source_rows(progress: dict[str, Any], folder: str | None) -> int:
    """Rows one batch took in: from every source, or from the sources reading ``folder``."""
    if folder is None:
        return int(progress.get("numInputRows", 0))
    return sum(int(s.get("numInputRows") or 0) for s in progress.get("sources") or []
               if f"/{folder}" in str(s.get("description", "")))


def input_rate(query: StreamingQuery | None, window: float = RATE_WINDOW_SECONDS,
               folder: str | None = None) -> float | None:
    """Rows per second a stream took in over the last ``window`` seconds of its progress
    (only from the landing folder ``folder`` when given: bronze reads three)."""
    if query is None:
        return None
    recent: list[Any] = list(query.recentProgress)
    if not recent:
        return None
    last = recent[-1]
    end = _epoch(last["timestamp"]) + last["durationMs"].get("triggerExecution", 0) / 1e3
    begin = max(end - window, _epoch(recent[0]["timestamp"]))
    rows = sum(source_rows(p, folder) for p in recent if _epoch(p["timestamp"]) >= begin)
    return rows / (end - begin) if end > begin else None


def batch_running(query: StreamingQuery) -> bool:
    """A micro-batch with data is running now, or was the query's last one."""
    status = query.status
    if status.get("isTriggerActive") and status.get("isDataAvailable"):
        return True
    last: Any = query.lastProgress
    return bool(last) and int(last.get("numInputRows", 0)) > 0


def report_first_batch(
    queries: Callable[[], Iterable[StreamingQuery]],
    launched: float,
    stop: threading.Event,
    report: Any = print,
    every: float = 0.2,
) -> threading.Thread:
    """Report, once, how long after ``launched`` (monotonic) the first batch with data ran.

    ``queries`` gives the queries running now (streams start one by one).
    """

    def watch() -> None:
        while not stop.is_set():
            try:
                running = [q.name for q in queries() if q.isActive and batch_running(q)]
            except Exception:  # a query ending under us: look again
                running = []
            if running:
                name = running[0].rsplit(".", 1)[-1]
                report(f"first batch running {time.monotonic() - launched:.1f}s after launch "
                       f"({name})")
                return
            stop.wait(every)

    thread = threading.Thread(target=watch, name="first-batch", daemon=True)
    thread.start()
    return thread


class TableCounts:
    """Row counts (from Delta logs) and bronze lag (from checkpoints), refreshed in a thread.

    Reading logs and listings waits on storage; doing it off the display
    thread keeps the view ticking while a slow read completes.
    """

    def __init__(self, lh: Lakehouse, every: float = 3.0, lag_every: float = 9.0) -> None:
        self.lh = lh
        self.every = every
        # Landing listings grow with every set: bronze lag is refreshed less often.
        self.lag_every = lag_every
        self._lag_at: float | None = None
        self.counters = {name: lh.row_count(name) for name in COUNTED}
        self.ingestion = progress.Ingestion(lh)
        self.rows: dict[str, int] = {}
        self.pending: dict[str, int] = {}
        self.quarantined: int | None = None
        self.rates = RowRates()
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-counts", daemon=True)

    def refresh(self) -> None:
        rows = {}
        for name, counter in self.counters.items():
            n = counter.refresh()
            if n is not None:
                rows[name] = n
        now = time.monotonic()
        self.rates.add(now, rows)
        if self._lag_at is None or now - self._lag_at >= self.lag_every:
            self.pending, self._lag_at = self.ingestion.pending(), now
        self.quarantined = rows.pop(settings.QUARANTINE, None)
        self.rows = rows

    def _run(self) -> None:
        # A Delta count at a checkpoint version is the one Spark job this may run.
        scheduling.use_pool(self.lh.spark, "default")
        while not self._stop.is_set():
            try:
                self.refresh()
                self.error = None
            except Exception as exc:  # a failed read must not kill the view
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
    producer: str,
    elapsed: float,
    counts: TableCounts | None = None,
):
    """The view as a rich Table; ``producer`` is the producer's line (``producer_text``)."""
    from rich.table import Table

    if counts is None:  # one-off rendering: read the counts now
        counts = TableCounts(lh)
        counts.refresh()
    table = Table(title=f"{lh.database}  ({elapsed:,.0f}s, Ctrl-C stops)")
    for col in ("table", "layer", "rows", "rows/s", "last batch", "lag", "state"):
        table.add_column(col, justify="left" if col in ("table", "layer", "state") else "right")
    # An environment an earlier version started runs a bronze stream per folder.
    streams = layout.LEGACY if any(b in queries for b in settings.BRONZE) else layout.CURRENT
    stream_of = streams.stream_of
    for name in (*settings.BRONZE, *settings.SILVER, *settings.GOLD):
        q = queries.get(stream_of[name])  # a stream writes several tables
        p: Any = q.lastProgress if q is not None else None
        rows = f"{counts.rows[name]:,}" if name in counts.rows else "…"
        per_second = counts.rates.rate(name)
        rate = "-" if per_second is None else f"{per_second:,.0f}"
        last = f"{p['durationMs'].get('triggerExecution', 0) / 1000:.1f}s" if p else "-"
        if name in settings.FOLLOWS:  # bronze, and the silver tables its batches write
            folder = settings.FOLLOWS[name]  # files landed there and not taken in yet
            lag = f"{counts.pending[folder]} files" if folder in counts.pending else "…"
        else:
            behind = versions_behind(p)
            lag = "-" if behind is None else f"{behind} versions"
        layer = ("bronze" if name in settings.BRONZE else
                 "gold" if name in settings.GOLD else "silver")
        state = "stopped" if q is None or not q.isActive else (
            "running" if q.status.get("isTriggerActive") else "waiting"
        )
        table.add_row(name, layer, rows, rate, last, lag, state)
    quarantined = "…" if counts.quarantined is None else f"{counts.quarantined:,}"
    into_bronze = input_rate(queries.get(stream_of["kafka_multiplex_bz"]),
                             folder=settings.LANDING["kafka_multiplex_bz"])
    pipeline = "-" if into_bronze is None else f"{into_bronze:,.0f}"
    note = f"\ncounts: {counts.error}" if counts.error else ""
    table.caption = (
        f"producer: {producer}\n"
        f"pipeline: {pipeline} Kafka records/s into bronze (last {RATE_WINDOW_SECONDS:.0f} s); "
        f"quarantine: {quarantined} rows{note}"
    )
    return table


def producer_text(producer: ContinuousProducer | None) -> str:
    """The producer's rate (target and achieved) and the sets it landed."""
    if producer is None:
        return "(no producer)"
    if producer.error is not None:
        return f"error: {producer.error}"
    if producer.pause is not None:
        target = f"a set every {producer.pause:g} s"
    else:
        target = f"target {producer.rate:,.0f} Kafka records/s"
    achieved = producer.achieved_rate()
    landed = producer.landed
    sets = "none yet" if not landed else (
        str(landed[0]) if len(landed) == 1 else f"{landed[0]}-{landed[-1]}"
    )
    done = " (all sets landed)" if producer.finished else ""
    rate = "" if achieved is None else f", landed {achieved:,.0f}/s"
    return f"{target}{rate}; sets landed: {sets}{done}"


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
        _log_until(lh, queries, producer, duration=duration, stop=stop)
        return

    began = time.monotonic()
    counts = TableCounts(lh, every=refresh).start()
    try:
        with Live(render(lh, queries, producer_text(producer), 0.0, counts),
                  refresh_per_second=1) as live:
            while (duration is None or time.monotonic() - began < duration) and not (
                stop is not None and stop.is_set()
            ):
                for name, q in queries.items():
                    if q.exception() is not None:
                        raise _failure(name, q)
                live.update(render(lh, queries, producer_text(producer),
                                   time.monotonic() - began, counts))
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


def _log_until(
    lh: Lakehouse,
    queries: dict[str, StreamingQuery],
    producer: ContinuousProducer | None,
    duration: float | None,
    stop: threading.Event | None,
    log_every: float = 30.0,
) -> None:
    """The non-terminal view: print the table every ``log_every`` seconds."""
    from rich.console import Console

    console = Console(width=120)
    counts = TableCounts(lh)
    began = time.monotonic()
    stop = stop or threading.Event()
    while not stop.is_set() and (duration is None or time.monotonic() - began < duration):
        for name, q in queries.items():
            if q.exception() is not None:
                raise _failure(name, q)
        try:
            counts.refresh()
            counts.error = None
        except Exception as exc:  # a failed read must not stop the streams
            counts.error = str(exc).splitlines()[0][:120]
        console.print(render(lh, queries, producer_text(producer), time.monotonic() - began,
                             counts))
        wait = log_every if duration is None else min(
            log_every, max(0.0, duration - (time.monotonic() - began))
        )
        stop.wait(wait)
