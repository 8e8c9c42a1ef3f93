"""The live view reads counts and lag without Spark jobs, and they are the real ones."""

from __future__ import annotations

import json

from app.pipeline import history, run, settings
from lakehouse_local import live, progress
from tests.pipeline import handmade

# workout_bpm_summary etc. as handmade.py works them out (kafka: 9 records, one quarantined
# line per malformed file).
HAND_WORKED = {
    "registered_users_bz": 1, "gym_logins_bz": 2, "kafka_multiplex_bz": 9, "users": 1,
    "gym_logs": 1, "heart_rate": 6, "workouts": 2, "completed_workouts": 1, "workout_bpm": 3,
    "workout_bpm_summary": 1,
}


def test_live_counts_and_lag_are_the_real_ones(local_lakehouse):
    lh = local_lakehouse
    zone = lh.store("data_zone")
    handmade.land(zone)
    handmade.land_malformed(zone)
    run.run_once(lh)

    counts = live.TableCounts(lh, lag_every=0.0)  # bronze lag on every refresh too
    counts.refresh()
    spark = lh.spark
    for table in (*settings.BRONZE, *settings.SILVER, *settings.GOLD):
        assert counts.rows[table] == spark.table(lh.table(table)).count(), table
    for table, rows in HAND_WORKED.items():
        assert counts.rows[table] == rows, table
    assert counts.quarantined == 2 == spark.table(lh.table(settings.QUARANTINE)).count()
    # Every landed file (the malformed ones too) has been taken in.
    assert counts.pending == {t: 0 for t in settings.LANDING}

    # A file landed after the run is pending until a stream takes it in.
    zone.put_bytes("raw/kafka_multiplex_bz/kafka-2.json", zone.get_bytes(
        "raw/kafka_multiplex_bz/kafka-1.json"))
    counts.refresh()
    assert counts.pending["kafka_multiplex_bz"] == 1
    run.run_once(lh)
    counts.refresh()
    assert counts.pending["kafka_multiplex_bz"] == 0
    assert counts.rows["kafka_multiplex_bz"] == 18
    assert counts.rows["workout_bpm"] == 3  # the same records again change no silver row

    # The view renders from these counts alone.
    table = live.render(lh, {}, "(no producer)", 1.0, counts)
    assert table.row_count == len((*settings.BRONZE, *settings.SILVER, *settings.GOLD))


def test_row_rates_are_each_tables_own_over_the_window():
    rates = live.RowRates(window=30.0)
    assert rates.rate("heart_rate") is None  # nothing yet
    rates.add(0.0, {"heart_rate": 100, "user_profile": 10})
    assert rates.rate("heart_rate") is None  # one sample: no rate
    rates.add(3.0, {"heart_rate": 130, "user_profile": 4, "user_bins": 2})
    assert rates.rate("heart_rate") == 10.0  # 30 rows in 3 s
    assert rates.rate("user_profile") == -2.0  # net: 6 rows deleted in 3 s
    assert rates.rate("user_bins") is None  # not in the first sample
    # 33 s: the sample at 3 s is the newest one at least 30 s old, so the span is 3 s -> 33 s.
    rates.add(33.0, {"heart_rate": 400, "user_profile": 4, "user_bins": 2})
    assert rates.rate("heart_rate") == 9.0  # (400 - 130) / 30
    assert rates.rate("user_bins") == 0.0
    rates.add(36.0, {"heart_rate": 400})
    assert rates.rate("heart_rate") == (400 - 130) / 33  # 33 s is not yet 30 s old at 36 s


def test_kafka_records_into_bronze_come_from_the_kafka_folder_s_source_only():
    # A bronze batch's progress as Spark reports it: one entry per landing folder.
    progress = {"numInputRows": 1_207, "sources": [
        {"description": "FileStreamSource[file:/z/raw/registered_users_bz]", "numInputRows": 5},
        {"description": "FileStreamSource[file:/z/raw/gym_logins_bz]", "numInputRows": 2},
        {"description": "FileStreamSource[file:/z/raw/kafka_multiplex_bz]", "numInputRows": 1_200},
    ]}
    assert live.source_rows(progress, "raw/kafka_multiplex_bz") == 1_200
    assert live.source_rows(progress, "raw/gym_logins_bz") == 2
    assert live.source_rows(progress, None) == 1_207
    assert live.source_rows({"numInputRows": 0, "sources": []}, "raw/kafka_multiplex_bz") == 0


def test_history_is_merged_once_per_content(local_lakehouse):
    lh = local_lakehouse
    zone = lh.store("data_zone")
    zone.put_bytes("test_data/date_lookup.json", handmade.date_lookup_lines(2023).encode())
    run.prepare(lh)
    assert lh.spark.table(lh.table("date_lookup")).count() == 365
    log = f"{lh.table_folder('date_lookup')}/_delta_log/"
    commits = len([p for p in lh.store("tables").list(log) if p.endswith(".json")])
    # The same files again: nothing to merge, no commit.
    assert history.load_date_lookup(lh) == 0
    assert len([p for p in lh.store("tables").list(log) if p.endswith(".json")]) == commits
    # A second year lands: its 366 days are merged (2024 is a leap year).
    zone.put_bytes("test_data/2024.json", handmade.date_lookup_lines(2024).encode())
    assert history.load_date_lookup(lh) == 366
    assert lh.spark.table(lh.table("date_lookup")).count() == 365 + 366


def test_file_source_log_from_compaction_on(local_lakehouse):
    """A checkpoint's file log as Spark writes it: batches, then a compaction of them."""
    lh = local_lakehouse
    store = lh.store("checkpoint")
    base = "checkpoints/bronze/sources/2"  # bronze reads the Kafka folder third
    zone = lh.location("data_zone")

    def entry(name: str, batch: int) -> str:
        path = f"{zone}/raw/kafka_multiplex_bz/{name}".replace(" ", "%20")
        return json.dumps({"path": path, "timestamp": 1, "batchId": batch})

    store.put_bytes(f"{base}/8", ("v1\n" + entry("old.json", 8)).encode())  # before compaction
    store.put_bytes(f"{base}/9.compact", ("v1\n" + "\n".join(
        [entry("old.json", 8), entry("a b.json", 9)]) + "\n").encode())
    store.put_bytes(f"{base}/10", ("v1\n" + entry("c.json", 10) + "\n").encode())
    log = progress.FileSourceLog(lh, "kafka_multiplex_bz")
    assert log.refresh() == {"raw/kafka_multiplex_bz/old.json", "raw/kafka_multiplex_bz/a b.json",
                             "raw/kafka_multiplex_bz/c.json"}
    store.put_bytes(f"{base}/11", ("v1\n" + entry("d.json", 11) + "\n").encode())
    assert "raw/kafka_multiplex_bz/d.json" in log.refresh() and log.batch == 11

    for name in ("old.json", "a b.json", "c.json", "d.json", "e.json"):
        lh.store("data_zone").put_bytes(f"raw/kafka_multiplex_bz/{name}", b"{}\n")
    assert progress.pending_files(lh)["kafka_multiplex_bz"] == 1  # e.json
