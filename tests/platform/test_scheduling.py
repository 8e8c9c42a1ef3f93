"""How many streaming queries start side by side: as asked with a SparkContext, one over Connect."""

from __future__ import annotations

from app.platform import scheduling


class ClassicSession:
    sparkContext = object()


class ConnectSession:
    @property
    def sparkContext(self):  # type: ignore[no-untyped-def]
        # What a Spark Connect session does (pyspark.sql.connect.session).
        raise RuntimeError("[JVM_ATTRIBUTE_NOT_SUPPORTED] sparkContext is not supported")


def test_a_classic_session_starts_queries_side_by_side():
    assert scheduling.concurrent_query_starts(ClassicSession(), 6) == 6


def test_a_connect_session_starts_one_query_at_a_time():
    # Each start spawns a foreachBatch Python worker that must connect back within 10 s.
    assert scheduling.concurrent_query_starts(ConnectSession(), 6) == 1


def test_quiet_logs_puts_both_levels_back(spark):  # type: ignore[no-untyped-def]
    """After an interrupted stop the process goes on (a notebook on a shared cluster):
    Spark's and Py4J's log levels must be what they were, not OFF for good."""
    import logging

    import pytest

    context = scheduling._context(spark)
    if context is None:
        pytest.skip("no SparkContext in this process (Spark Connect)")
    root = context._jvm.org.apache.logging.log4j.LogManager.getRootLogger()
    original = str(root.getLevel().name())
    py4j = logging.getLogger("py4j")
    py4j_original = py4j.level
    context.setLogLevel("WARN")
    py4j.setLevel(logging.INFO)
    try:
        with scheduling.quiet_logs():
            assert str(root.getLevel().name()) == "OFF"
            assert py4j.level == logging.CRITICAL
        assert str(root.getLevel().name()) == "WARN"
        assert py4j.level == logging.INFO
    finally:
        context.setLogLevel(original)
        py4j.setLevel(py4j_original)


def test_side_by_side_over_connect_runs_the_tasks_in_order_in_this_thread():
    import threading

    seen: list[tuple[int, str]] = []
    scheduling.side_by_side(ConnectSession(), [
        lambda: seen.append((1, threading.current_thread().name)),
        lambda: seen.append((2, threading.current_thread().name)),
    ])
    here = threading.current_thread().name
    assert seen == [(1, here), (2, here)]


def test_side_by_side_tasks_overlap_inherit_the_pool_and_raise_the_first_error(spark):  # type: ignore[no-untyped-def]
    """The writers of one micro-batch: at the same time, in the batch's scheduler pool
    and job group (a stop cancels the group), and a failure reaches the batch."""
    import threading

    import pytest

    context = scheduling._context(spark)
    if context is None:
        pytest.skip("no SparkContext in this process (Spark Connect)")
    both_running = threading.Barrier(2, timeout=60)
    seen: dict[str, tuple[str | None, str | None, int]] = {}

    def task(name: str):  # type: ignore[no-untyped-def]
        def run() -> None:
            both_running.wait()  # deadlocks (times out) unless they run at the same time
            rows = spark.range(10).count()
            seen[name] = (context.getLocalProperty("spark.scheduler.pool"),
                          context.getLocalProperty("spark.jobGroup.id"), rows)
        return run

    scheduling.use_pool(spark, "silver")
    scheduling.set_job_group(spark, "test-side-by-side", "side by side")
    try:
        scheduling.side_by_side(spark, [task("a"), task("b")])
        with pytest.raises(ValueError, match="second"):
            scheduling.side_by_side(spark, [lambda: None, _raise("second"), _raise("third")])
    finally:
        scheduling.use_pool(spark, "default")
        context.setLocalProperty("spark.jobGroup.id", None)
        context.setLocalProperty("spark.job.description", None)
        context.setLocalProperty("spark.job.interruptOnCancel", None)
    want = ("silver", "test-side-by-side", 10)
    assert seen == {"a": want, "b": want}


def _raise(message: str):  # type: ignore[no-untyped-def]
    def run() -> None:
        raise ValueError(message)
    return run
