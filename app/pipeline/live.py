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


def render(lh: Lakehouse, queries: dict[str, StreamingQuery], producer: Any, elapsed: float):  # type: ignore[no-untyped-def]
    from rich.table import Table

    table = Table(title=f"{lh.database}  ({elapsed:,.0f}s, Ctrl-C stops)")
    for col in ("table", "layer", "rows", "rows/s", "last batch", "lag", "state"):
        table.add_column(col, justify="left" if col in ("table", "layer", "state") else "right")
    pending = progress.pending_files(lh)
    for name in (*settings.BRONZE, *settings.SILVER, *settings.GOLD):
        q = queries.get(name)
        p: Any = q.lastProgress if q is not None else None
        rows = lh.spark.table(lh.table(name)).count()
        rate = f"{p.get('processedRowsPerSecond', 0.0):,.0f}" if p else "-"
        last = f"{p['durationMs'].get('triggerExecution', 0) / 1000:.1f}s" if p else "-"
        if name in settings.BRONZE:
            lag = f"{pending.get(name, 0)} files"
            layer = "bronze"
        else:
            behind = versions_behind(p)
            lag = "-" if behind is None else f"{behind} versions"
            layer = "gold" if name in settings.GOLD else "silver"
        state = "stopped" if q is None or not q.isActive else (
            "running" if q.status.get("isTriggerActive") else "waiting"
        )
        table.add_row(name, layer, f"{rows:,}", rate, last, lag, state)
    quarantined = lh.spark.table(lh.table(settings.QUARANTINE)).count()
    table.caption = f"quarantine: {quarantined:,} rows; producer: sets landed {producer}"
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

    with Live(render(lh, queries, landed(), 0.0), refresh_per_second=1) as live:
        while (duration is None or time.monotonic() - began < duration) and not (
            stop is not None and stop.is_set()
        ):
            for name, q in queries.items():
                if q.exception() is not None:
                    raise RuntimeError(f"stream {name} failed: {q.exception()}")
            live.update(render(lh, queries, landed(), time.monotonic() - began))
            if stop is not None:
                stop.wait(refresh)  # the display's refresh interval, not a wait for data
            else:
                time.sleep(refresh)


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
                raise RuntimeError(f"stream {name} failed: {q.exception()}")
        console.print(render(lh, queries, landed_text(), time.monotonic() - began))
        wait = log_every if duration is None else min(
            log_every, max(0.0, duration - (time.monotonic() - began))
        )
        stop.wait(wait)
