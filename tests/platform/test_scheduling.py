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
