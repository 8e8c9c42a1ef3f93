"""bench/sql_costs.py reads Spark's SQL executions into streams, batches and kinds of work."""

from __future__ import annotations

from bench import sql_costs


def row(at: str, ms: int, description: str) -> dict[str, object]:
    return {"submissionTime": f"2026-12-03T10:00:{at}GMT", "duration": ms,
            "description": description}


BATCH = "s.kafka_multiplex_bz\nid = 1\nrunId = 2\nbatch = 7"


def test_executions_are_named_by_stream_batch_and_delta_kind() -> None:
    rows = [
        row("00.000", 200, "collect at history.py:43"),
        row("01.000", 5000, BATCH),  # the sink's execution: spans the batch
        row("01.500", 800, f"Delta: {BATCH}: Compute snapshot for version: 3"),
        row("02.500", 1200, f"{BATCH} - MERGE operation - materialize source"),
        row("04.000", 1500, BATCH),
    ]
    got = sql_costs.parse(rows)
    assert [(e.start, e.seconds, e.stream, e.batch, e.kind) for e in got] == [
        (0.0, 0.2, "", "", "query"),
        (1.0, 5.0, "kafka_multiplex_bz", "7", "(whole batch)"),
        (1.5, 0.8, "kafka_multiplex_bz", "7", "Compute snapshot"),
        (2.5, 1.2, "kafka_multiplex_bz", "7", "materialize source"),
        (4.0, 1.5, "kafka_multiplex_bz", "7", "query"),
    ]


def test_a_batch_without_a_spanning_execution_has_none_marked() -> None:
    got = sql_costs.parse([row("00.000", 1000, BATCH), row("00.500", 1000, BATCH)])
    assert [e.kind for e in got] == ["query", "query"]
