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
