"""The run entry point: environment, run type (once | stream) and processing time.

- once: setup (idempotent), the history loader, then every stream with an
  available-now trigger, stage after stage (``settings.STAGES``), each
  waiting for the previous one to finish.
- stream: every stream (``settings.STREAMS``) continuously with a
  processing-time trigger, each in its layer's scheduler pool.

An environment an earlier version started keeps its per-folder bronze
streams (``app.pipeline.layout``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.pipeline import bronze, ddl, gold, handoff, history, layout, retired, settings, silver
from app.pipeline.schemas import TABLES
from app.pipeline.streaming import AVAILABLE_NOW, Trigger, query_name
from app.platform import scheduling

if TYPE_CHECKING:
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse

log = logging.getLogger(__name__)

Starter = Callable[["Lakehouse", str, Trigger], "StreamingQuery"]


def _bronze_and_silver(
    lh: Lakehouse, stream: str, trigger: Trigger, gate: bronze.StartGate | None = None,
) -> StreamingQuery:
    folders = {**layout.CURRENT.bronze, **layout.LEGACY.bronze}[stream]
    return bronze.start_stream(lh, stream, trigger, {
        table: silver.FOLLOWERS[table] for table in folders
    }, gate)


STARTERS: dict[str, Starter] = {
    **dict.fromkeys(settings.BRONZE_STREAMS, _bronze_and_silver),
    **dict.fromkeys(settings.BRONZE, _bronze_and_silver),  # layout.LEGACY's
    settings.GOLD_STREAM: gold.start_stream,
}


def prepare(lh: Lakehouse) -> int:
    """DDL setup and the history loader (both idempotent); returns date_lookup rows added.

    The loader runs as soon as date_lookup exists, beside the other tables'
    creation. Both are cheap when already done: the DDL skips tables the
    session's catalog has, the loader skips history it has already loaded.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(ddl.CREATE_WORKERS, thread_name_prefix="ddl") as creating:
        created = ddl.create_tables(lh, creating)
        for name in settings.HISTORY:
            created[name].result()
        added = _load_history(lh)
        for future in created.values():
            future.result()
    ddl.create_views(lh)
    return added


def _load_history(lh: Lakehouse) -> int:
    if lh.store("data_zone").list(f"{settings.HISTORY_FOLDER}/"):
        return history.load_date_lookup(lh)
    log.warning("no history files under %s yet: date_lookup not loaded", settings.HISTORY_FOLDER)
    return 0


def run_stage(lh: Lakehouse, streams: tuple[str, ...], trigger: Trigger = AVAILABLE_NOW) -> None:
    """Start the streams available-now and wait for all of them to finish."""
    queries = [STARTERS[s](lh, s, trigger) for s in streams]
    try:
        for q in queries:
            q.awaitTermination()
    finally:
        for q in queries:
            if q.isActive:
                q.stop()


def nothing_to_stream(lh: Lakehouse) -> bool:
    """True when no stream could find anything: a fresh environment with nothing landed.

    That is: no stream has started yet (no ``checkpoints/<stream>/metadata``), no
    landing folder holds a file, and no table a stream writes has a commit after
    its CREATE. Starting the streams then only writes checkpoints and runs each
    Delta source's empty first batch (about 5 s of a run on 2 cores, the batch
    test's first cycle); skipping them changes nothing, because a stream's first
    start reads every landed file and every row of its source tables. Reads a
    fixed number of small objects, whatever the history. On Databricks (Unity
    Catalog decides where tables live) it answers False: the streams run.
    """
    from app.platform import checkpoints, delta_log

    if lh.names.unity:
        return False
    try:
        ckpt = lh.store("checkpoint")
        streams = {*settings.STREAMS, *settings.LEGACY_STREAMS}
        if any(checkpoints.has_started(ckpt, s) for s in streams):
            return False
        zone = lh.store("data_zone")
        for folder in settings.LANDING.values():
            # Spark's file source skips names starting with '.' or '_'; so does this.
            if any(not p.rsplit("/", 1)[-1].startswith((".", "_"))
                   for p in zone.list(f"{folder}/")):
                return False
        tables = lh.store("tables")
        for table in settings.STREAM_OF:
            log_folder = f"{lh.table_folder(table)}/{delta_log.LOG_FOLDER}"
            if tables.exists(f"{log_folder}/{delta_log.commit_name(1)}") or tables.exists(
                f"{log_folder}/_last_checkpoint"
            ):
                return False
    except Exception as exc:  # when in doubt, run the streams
        log.debug("could not tell whether there is anything to stream: %s", exc)
        return False
    return True


def run_once(lh: Lakehouse) -> dict[str, float]:
    """setup + history + every layer available-now; returns seconds per layer.

    In a fresh environment with nothing landed only setup and history run
    (``nothing_to_stream``).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    prepare(lh)
    retired.drain(lh)
    timings["setup+history"] = time.perf_counter() - t0
    if nothing_to_stream(lh):
        log.info("nothing landed and no stream started yet: the streams start with the "
                 "first landed files")
        return timings
    for layer, tables in layout.of(lh).stages:
        t0 = time.perf_counter()
        run_stage(lh, tables)
        timings[layer] = time.perf_counter() - t0
    return timings


# Streams whose batches read the date lookup: their Kafka part waits for the history
# loader (over Spark Connect the stream starts only once it is done).
NEEDS_HISTORY = (settings.BRONZE_STREAM, "kafka_multiplex_bz")  # the latter: layout.LEGACY
# Query starts run side by side: each waits partly on storage (checkpoint and
# Delta log reads), so a few at a time overlap that latency (one at a time over
# Spark Connect: scheduling.concurrent_query_starts).
START_WORKERS = 6


def _needs(streams: layout.Layout, stream: str) -> tuple[str, ...]:
    """Tables that must exist before ``stream`` starts, or, for a bronze stream whose
    batches wait for them (``bronze.StartGate``), before its batch writes."""
    if stream in streams.bronze:
        # It reads landing files, writes its tables and quarantine; its silver
        # writers read only tables it writes.
        history = settings.HISTORY if stream in NEEDS_HISTORY else ()
        return (*streams.streams[stream], settings.QUARANTINE, *history)
    return tuple(TABLES)  # gold reads across layers


def start_all(
    lh: Lakehouse, processing_time: str, cancel: threading.Event | None = None
) -> list[StreamingQuery]:
    """Every stream continuously; returns the queries in layer order.

    Nothing waits for more than it needs: the missing tables are created
    side by side (bronze first) and the history loader runs meanwhile. A
    bronze stream starts at once and its batch waits for its tables before
    writing (the Kafka part also for the history); gold starts once every
    table exists. Over Spark Connect, where batches run elsewhere, a bronze
    stream starts once its tables exist (and the history, for those in
    ``NEEDS_HISTORY``). If a start fails, the
    queries already started are stopped. Once ``cancel`` is set (Ctrl-C while
    starting) nothing more starts, the history load is cancelled, and the
    queries started so far are returned without waiting for the rest.
    """
    from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

    trigger = Trigger(processing_time)
    handoff.of(lh.database).resume()
    streams = layout.of(lh)
    tables = [t for _, stage in streams.stages for t in stage]
    started: dict[str, StreamingQuery] = {}
    history_group = f"history-{lh.database}"
    creating = ThreadPoolExecutor(ddl.CREATE_WORKERS, thread_name_prefix="ddl")
    loading = ThreadPoolExecutor(1, thread_name_prefix="history")
    starting = ThreadPoolExecutor(
        scheduling.concurrent_query_starts(lh.spark, START_WORKERS), thread_name_prefix="start"
    )

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    try:
        if retired.pending(lh):  # an environment of an earlier version: once, before the rest
            prepare(lh)
            retired.drain(lh)
        created = ddl.create_tables(lh, creating)

        def load() -> int:
            for name in settings.HISTORY:
                created[name].result()
            scheduling.set_job_group(lh.spark, history_group, "history loader")
            return _load_history(lh)

        def views() -> None:
            for future in created.values():
                future.result()
            ddl.create_views(lh)

        # A batch running in this process can wait for the tables and the history
        # itself, so a bronze stream starts at once: its first trigger lists and
        # reads the landed files while they are created, and its CSV folders'
        # records need no lookup. Over Spark Connect its batches run elsewhere.
        batches_wait = scheduling.batches_run_here(lh.spark)

        def tables_of(stream: str) -> Callable[[], None]:
            def ready() -> None:
                for name in _needs(streams, stream):
                    created[name].result()
            return ready

        def start_one(table: str) -> None:
            if batches_wait and table in streams.bronze:
                lookup = history_loaded.result if table in NEEDS_HISTORY else (lambda: None)
                gate = bronze.StartGate(tables=tables_of(table), lookup=lookup)
                if not cancelled():
                    started[table] = _bronze_and_silver(lh, table, trigger, gate)
                return
            tables_of(table)()
            if table in NEEDS_HISTORY:
                history_loaded.result()
            if cancelled():
                return
            started[table] = STARTERS[table](lh, table, trigger)

        history_loaded = loading.submit(load)
        pending: set[Future[Any]] = {
            *created.values(), history_loaded, loading.submit(views),
            *(starting.submit(start_one, t) for t in tables),
        }
        while pending and not cancelled():
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()
        if pending:  # cancelled: stop the history load's jobs, start nothing more
            scheduling.cancel_job_group(lh.spark, history_group)
    except BaseException:
        stop_gracefully(list(started.values()), timeout=0.0)
        raise
    finally:
        for pool in (creating, loading, starting):
            pool.shutdown(wait=False, cancel_futures=True)
    return [started[t] for t in tables if t in started]


def by_stream(lh: Lakehouse, queries: list[StreamingQuery]) -> dict[str, StreamingQuery]:
    """``queries`` (as ``start_all`` returns them) by stream name, stopped ones included:
    a watcher must see a stream that died, which ``active_queries`` no longer lists."""
    prefix = query_name(lh, "")
    return {q.name[len(prefix):]: q for q in queries if q.name and q.name.startswith(prefix)}


def active_queries(lh: Lakehouse) -> dict[str, StreamingQuery]:
    """This lakehouse's running queries by stream name."""
    return by_stream(lh, lh.spark.streams.active)


# Seconds a batch in flight gets to finish when the streams stop. Longer
# waits buy nothing: an interrupted batch is replayed from its checkpoint and
# every writer is idempotent (txnAppId/txnVersion appends, MERGEs).
GRACE_SECONDS = 3.0


def stop_gracefully(
    queries: list[StreamingQuery],
    timeout: float = GRACE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Stop every query: idle ones at once, busy ones after their batch or ``timeout`` s.

    Stops run side by side. Past ``timeout`` the Spark jobs still running are
    cancelled, so a stop does not wait for a long MERGE inside a foreachBatch
    (its jobs run on the Python side, out of reach of the query's interrupt).
    """
    from concurrent.futures import Future, ThreadPoolExecutor
    from contextlib import ExitStack

    deadline = clock() + timeout
    # A gold batch waiting for bronze (app.pipeline.handoff) ends its wait now.
    handoff.release(q.name for q in queries)
    waiting = [q for q in queries if q.isActive]
    if not waiting:
        return
    interrupted = False
    # The logs come back once every stop has returned (the pool exits first).
    with ExitStack() as quiet, ThreadPoolExecutor(len(waiting), thread_name_prefix="stop") as pool:
        stops: list[Future[None]] = []
        while waiting:
            busy = [q for q in waiting if _in_batch(q)]
            if busy and clock() >= deadline:
                interrupted, busy = True, []
                # Interrupting batches is safe but Spark and Py4J print pages of traces
                # that read like a failure: quiet them before the interrupts.
                quiet.enter_context(scheduling.quiet_logs())
            stops.extend(pool.submit(_stop, q) for q in waiting if q not in busy)
            waiting = busy
            if waiting:
                sleep(0.05)
        if interrupted:
            scheduling.cancel_all_jobs()
        for future in stops:
            future.result()


def _in_batch(query: StreamingQuery) -> bool:
    try:
        return bool(query.isActive and query.status.get("isTriggerActive"))
    except Exception:  # a query ending under us is not in a batch
        return False


def _stop(query: StreamingQuery) -> None:
    try:
        query.stop()
    except Exception as exc:  # stopping is best effort: the checkpoint replays the batch
        log.debug("stopping %s: %s", query.name, exc)
