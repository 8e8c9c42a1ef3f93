"""Spark scheduler settings pipeline code asks for, applied where the compute allows them.

Pipeline code (app/pipeline) names what it wants: its layer's scheduler pool
(``spark.scheduler.pool``, pools in fairscheduler.xml), a job group it can
cancel, every job cancelled at a stop, Spark's log quiet while streams are
interrupted. Those go through the ``SparkContext`` and the JVM, which local
Spark and classic clusters have, but which Databricks serverless compute and
standard (shared) access mode refuse. So pipeline code never touches them
itself (tests/test_rooms.py checks its source): this adapter applies each
setting through the session's ``SparkContext`` when there is one and does
nothing when there is none (a Spark Connect session raises on
``sparkContext``). Locally every call does exactly what the pipeline did
itself before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)


def _context(spark: Any = None) -> Any:
    """The session's SparkContext (the active one when ``spark`` is None); None without one."""
    if spark is None:
        from pyspark import SparkContext

        return SparkContext._active_spark_context
    try:
        return spark.sparkContext
    except Exception:  # Spark Connect (serverless, standard access mode): no SparkContext
        return None


# Spark Connect runs each foreachBatch function in a Python worker the server
# starts with the query, and waits a fixed 10 s (PythonWorkerFactory's
# PROCESS_WAIT_TIMEOUT_MS, no setting) for it to connect back. Several started
# side by side on 2 busy cores miss that ("Python worker failed to connect
# back"), so over Connect queries start one at a time.
CONNECT_QUERY_STARTS = 1


def concurrent_query_starts(spark: Any, wanted: int) -> int:
    """How many streaming queries may start side by side on this session."""
    return wanted if _context(spark) is not None else CONNECT_QUERY_STARTS


def batches_run_here(spark: Any) -> bool:
    """Whether a query's foreachBatch runs in this Python process (classic Spark), so it
    can wait on this process's objects; over Spark Connect it runs in a server worker."""
    return _context(spark) is not None


def side_by_side(spark: Any, tasks: Sequence[Callable[[], None]]) -> None:
    """Run ``tasks`` at the same time, each in a thread with this thread's job settings.

    For the writers of one micro-batch: each spends much of its time on the
    driver (planning, the Delta log, the commit) while the executors idle,
    so side by side the small writers' driver work overlaps the big one's
    tasks. The threads inherit this thread's local properties (scheduler
    pool, job group: a stop that cancels the group cancels their jobs too).
    Waits for all of them; raises the first error, in task order. Over Spark
    Connect (no SparkContext) the tasks run one after another: its client
    sessions are not made for threads sharing a foreachBatch worker.
    """
    if len(tasks) < 2 or _context(spark) is None:
        for task in tasks:
            task()
        return
    from pyspark import InheritableThread

    errors: list[BaseException | None] = [None] * len(tasks)

    def runner(i: int) -> Callable[[], None]:
        def run() -> None:
            try:
                tasks[i]()
            except BaseException as exc:  # re-raised in the caller's thread
                errors[i] = exc
        return run

    threads = [InheritableThread(runner(i), session=spark) for i in range(len(tasks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for exc in errors:
        if exc is not None:
            raise exc


def use_pool(spark: Any, pool: str) -> None:
    """Run this thread's next jobs (and queries it starts) in scheduler pool ``pool``."""
    context = _context(spark)
    if context is not None:
        context.setLocalProperty("spark.scheduler.pool", pool)


def set_job_group(spark: Any, group: str, description: str) -> None:
    """Tag this thread's next jobs with ``group`` (cancellable with ``cancel_job_group``)."""
    context = _context(spark)
    if context is not None:
        context.setJobGroup(group, description, True)


def cancel_job_group(spark: Any, group: str) -> None:
    context = _context(spark)
    if context is not None:
        context.cancelJobGroup(group)


def cancel_all_jobs() -> None:
    """Cancel running Spark jobs, so interrupted foreachBatch calls return at once."""
    context = _context()
    try:
        if context is not None:
            context.cancelAllJobs()
    except Exception as exc:
        log.debug("cancelling jobs: %s", exc)


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Keep Spark's and Py4J's traces out of the terminal while the block runs.

    Both levels are put back afterwards: a process that goes on (a notebook on
    a shared cluster, a test run) must not lose Spark's log for good because
    one stop interrupted its streams. A Spark level that cannot be read (no
    JVM in reach) stays OFF, as before.
    """
    py4j = logging.getLogger("py4j")
    py4j_level = py4j.level
    py4j.setLevel(logging.CRITICAL)
    context = _context()
    spark_level = _spark_log_level(context)
    if context is not None:
        context.setLogLevel("OFF")
    try:
        yield
    finally:
        py4j.setLevel(py4j_level)
        if context is not None and spark_level is not None:
            context.setLogLevel(spark_level)


def _spark_log_level(context: Any) -> str | None:
    """The driver's root log level (log4j 2), or None when it cannot be read."""
    if context is None:
        return None
    try:
        level = context._jvm.org.apache.logging.log4j.LogManager.getRootLogger().getLevel()
        return str(level.name())
    except Exception:
        return None
