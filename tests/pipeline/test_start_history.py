"""`run stream` on a fresh environment: bronze starts before its tables are created and
the history loader is done; its batch waits for them, and every record still lands, the
Kafka records with their date and week_part from the loaded lookup."""

from __future__ import annotations

import time

import pytest

from app.pipeline import ddl, run, settings
from app.pipeline.streaming import query_name
from lakehouse_local.progress import wait_caught_up
from tests.pipeline import handmade

pytestmark = pytest.mark.integration


def _held_until_bronze_runs_a_batch(lh) -> bool:  # type: ignore[no-untyped-def]
    """Wait (up to 120 s) until bronze's first batch runs; True if it does."""
    bronze = query_name(lh, settings.BRONZE_STREAM)

    def in_batch() -> bool:
        return any(q.name == bronze and q.status.get("isTriggerActive")
                   for q in lh.spark.streams.active)

    deadline = time.monotonic() + 120
    while not in_batch() and time.monotonic() < deadline:
        time.sleep(0.1)
    return in_batch()


def _stream_until_caught_up(lh) -> None:  # type: ignore[no-untyped-def]
    queries = run.start_all(lh, "1 second")
    try:
        wait_caught_up(lh, run.by_stream(lh, queries), 1.0, timeout=300)
    finally:
        run.stop_gracefully(queries)


def test_kafka_records_wait_in_the_batch_for_a_slow_history_load(local_lakehouse, monkeypatch):
    lh = local_lakehouse
    handmade.land(lh.store("data_zone"))  # the set and its history file
    load = run._load_history
    seen_in_batch: list[bool] = []

    def slow_load(lh_):  # type: ignore[no-untyped-def]
        # Held back until bronze's first batch runs (the landed files are there).
        seen_in_batch.append(_held_until_bronze_runs_a_batch(lh_))
        time.sleep(2.0)  # well into the batch
        return load(lh_)

    monkeypatch.setattr(run, "_load_history", slow_load)
    _stream_until_caught_up(lh)
    assert seen_in_batch == [True], "bronze did not start before the history load"
    spark = lh.spark
    assert spark.table(lh.table("registered_users_bz")).count() == 1
    dates = spark.table(lh.table("kafka_multiplex_bz")).select("date", "week_part").distinct()
    assert [(str(r.date), r.week_part) for r in dates.collect()] == [("2023-03-10", "2023-10")]
    assert spark.table(lh.table("workout_bpm_summary")).count() == 1


def test_bronze_reads_the_landed_files_while_its_tables_are_created(local_lakehouse, monkeypatch):
    lh = local_lakehouse
    handmade.land(lh.store("data_zone"))
    create = ddl._create_table
    # A bronze table and a silver table bronze's batch writes: held back until the batch runs.
    held = {"registered_users_bz", "users"}
    seen_in_batch: dict[str, bool] = {}

    def slow_create(lh_, name):  # type: ignore[no-untyped-def]
        if name in held:
            seen_in_batch[name] = _held_until_bronze_runs_a_batch(lh_)
            time.sleep(1.0)
        return create(lh_, name)

    monkeypatch.setattr(ddl, "_create_table", slow_create)
    _stream_until_caught_up(lh)
    assert seen_in_batch == dict.fromkeys(held, True), "bronze did not start before its tables"
    spark = lh.spark
    # The hand-made set (tests/pipeline/handmade.py): one registration, one session.
    assert spark.table(lh.table("registered_users_bz")).count() == 1
    assert spark.table(lh.table("users")).count() == 1
    assert spark.table(lh.table("workout_bpm_summary")).count() == 1
