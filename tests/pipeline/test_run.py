"""run once on a hand-worked set: exact values, idempotency, the same file landed twice."""

from __future__ import annotations

from app.pipeline import run, settings
from lakehouse_local import status
from lakehouse_local.validate import COUNTED
from tests.pipeline import handmade


def snapshot(lh, tables=COUNTED):  # type: ignore[no-untyped-def]
    """Every row of every table, order-free (load_time excluded: it is when, not what)."""
    out = {}
    for t in tables:
        df = lh.spark.table(lh.table(t))
        cols = [c for c in df.columns if c != "load_time"]
        out[t] = sorted(map(tuple, df.select(*cols).collect()), key=repr)
    return out


def forget_last_commit(lh, stream):  # type: ignore[no-untyped-def]
    """Remove the stream's last checkpoint commit, so its next run replays that batch."""
    store = lh.store("checkpoint")
    last = status.checkpoint_position(lh, stream)["committed"]
    commits = f"checkpoints/{stream}/commits"
    assert store.delete_prefix(f"{commits}/{last}") == 1
    store.delete_prefix(f"{commits}/.{last}.crc")  # the local file system's checksum beside it
    return last


def test_hand_worked_set_once_then_idempotent(local_lakehouse, dataframe_cache):
    lh = local_lakehouse
    zone = lh.store("data_zone")
    handmade.land(zone)
    handmade.land_malformed(zone)
    run.run_once(lh)
    spark = lh.spark
    # What a batch caches it releases: a stream keeps nothing from batch to batch.
    assert dataframe_cache() is True

    gym = spark.table(lh.table("gym_summary")).collect()
    assert [(str(r.date), r.gym, r.mac_address, r.workout_id, r.session_id) for r in gym] == [
        ("2023-03-10", 7, "aa:01", 3, 5)
    ]
    assert gym[0].minutes_in_gym == 90.0
    assert gym[0].minutes_exercising == 65.0  # not 66.13: epoch seconds never pass a FLOAT

    summary = spark.table(lh.table("workout_bpm_summary")).collect()
    assert [r.asDict() for r in summary] == [{
        "workout_id": 3, "session_id": 5, "user_id": 1, "age": "25-35", "gender": "F",
        "city": "Springfield", "state": "IL", "min_bpm": 100.0, "avg_bpm": 120.0,
        "max_bpm": 140.0, "num_recordings": 3,
    }]
    hr = spark.table(lh.table("heart_rate"))
    assert hr.count() == 6 and hr.where("NOT valid").count() == 1
    # The stop record's Kafka timestamp is in seconds: its date is still right.
    dates = spark.table(lh.table("kafka_multiplex_bz")).select("date", "week_part").distinct()
    assert [(str(r.date), r.week_part) for r in dates.collect()] == [("2023-03-10", "2023-10")]
    # gym-1.csv landed the visit with no logout, gym-2.csv with it: one row.
    logs = spark.table(lh.table("gym_logs")).collect()
    assert len(logs) == 1 and logs[0].logout is not None

    quarantined = {
        (r.source_file.split("/landing/")[-1] if "/landing/" in r.source_file else r.source_file,
         r.raw): r.reason
        for r in spark.table(lh.table(settings.QUARANTINE)).collect()
    }
    assert {(f.split("/")[-1], raw) for f, raw in quarantined} == {
        (path.split("/")[-1], raw) for path, raw in handmade.MALFORMED.items()
    }
    reasons = sorted(quarantined.values())
    assert reasons[0] == "bad-1.csv: field 'user_id' value 'x2' is not a BIGINT"
    assert reasons[1] == "bad-1.json: not a valid JSON record"

    # make status: every table's rows, each stream's checkpoint position.
    assert status.table_rows(lh)["kafka_multiplex_bz"] == 9
    pos = status.checkpoint_position(lh, "workout_bpm_and_summary")
    # Four Delta sources: heart_rate, completed_workouts, users, user_bins' change feed.
    assert pos["committed"] == pos["batch"] and len(pos["offsets"]) == 4

    # The process died after a batch committed workout_bpm and before its gold
    # write: the replay finds every workout_bpm row there (its MERGE inserts
    # none) and must still write the summary. Simulated by hand: the batch's
    # checkpoint commit removed (so it replays), the summary row deleted.
    # (The first run wrote everything in its batch 0: that batch is replayed.)
    stream = "workout_bpm_and_summary"
    assert forget_last_commit(lh, stream) == 0
    gold = lh.table("workout_bpm_summary")
    written = snapshot(lh, ("workout_bpm_summary",))
    spark.sql(f"DELETE FROM {gold}")
    run.run_stage(lh, (stream,))
    assert snapshot(lh, ("workout_bpm_summary",)) == written

    # Running again with no new data changes no table, even when every bronze
    # stream replays its last batch (its checkpoint commit removed, as if the
    # process died after the batch's writes): the appends are not repeated.
    before = snapshot(lh)
    lasts = {b: forget_last_commit(lh, b) for b in settings.BRONZE_STREAMS}
    run.run_once(lh)
    assert snapshot(lh) == before
    # Replayed, not skipped: each stream committed that batch again.
    replayed = {b: status.checkpoint_position(lh, b)["committed"] for b in settings.BRONZE_STREAMS}
    assert replayed == lasts

    # The same files landed again under other names: bronze grows, silver and gold do not.
    silver_gold = (*settings.SILVER, *settings.GOLD, *settings.VIEWS)
    before = snapshot(lh, silver_gold)
    for name in ("kafka_multiplex_bz/kafka-1.json", "gym_logins_bz/gym-1.csv",
                 "registered_users_bz/users-1.csv"):
        stem, ext = name.rsplit(".", 1)
        zone.put_bytes(f"raw/{stem}-again.{ext}", zone.get_bytes(f"raw/{name}"))
    run.run_once(lh)
    assert snapshot(lh, silver_gold) == before
    assert spark.table(lh.table("kafka_multiplex_bz")).count() == 2 * 9


def test_user_registered_after_the_workout_still_reaches_gold(local_lakehouse):
    """The users file lands after the workout was processed: workout_bpm and gold catch up."""
    lh = local_lakehouse
    zone = lh.store("data_zone")
    handmade.land(zone)
    users_csv = zone.get_bytes("raw/registered_users_bz/users-1.csv")
    zone.delete_prefix("raw/registered_users_bz/")
    run.run_once(lh)
    spark = lh.spark
    assert spark.table(lh.table("completed_workouts")).count() == 1
    assert spark.table(lh.table("workout_bpm")).count() == 0  # no device for user 1 yet

    zone.put_bytes("raw/registered_users_bz/users-late.csv", users_csv)
    run.run_once(lh)
    assert spark.table(lh.table("workout_bpm")).count() == 3
    summary = spark.table(lh.table("workout_bpm_summary")).collect()
    assert [(r.user_id, r.min_bpm, r.avg_bpm, r.max_bpm, r.num_recordings) for r in summary] == [
        (1, 100.0, 120.0, 140.0, 3)
    ]


def test_streams_interrupted_mid_batch_resume_with_nothing_lost(local_lakehouse):
    """Stop every stream without a grace period while batches run, then resume from the
    checkpoints: every table still matches the generator's ground truth."""
    import time

    from data_generators import Faults, GeneratorSpec
    from lakehouse_local import producer
    from lakehouse_local.batch_test import validate_set
    from lakehouse_local.progress import wait_caught_up

    lh = local_lakehouse
    spec = GeneratorSpec(seed=11, sets=2, scale=0.05, visits_per_user=2, faults=Faults.all_on())
    producer.land_history(lh, spec)
    producer.produce_set(lh, spec, 1)
    queries = run.start_all(lh, "1 second")
    try:
        deadline = time.monotonic() + 300
        busy: list[str] = []
        while not busy and time.monotonic() < deadline:
            busy = [q.name for q in queries if q.status.get("isTriggerActive")
                    and q.status.get("isDataAvailable")]
            time.sleep(0.05)
        assert busy, "no batch ever ran"
    finally:
        run.stop_gracefully(queries, timeout=0.0)  # interrupt whatever is running
    assert not any(q.isActive for q in queries)

    manifest = producer.produce_set(lh, spec, 2)
    queries = run.start_all(lh, "1 second")
    try:
        wait_caught_up(lh, run.by_stream(lh, queries), 1.0, timeout=300)
        validate_set(lh, manifest)
    finally:
        run.stop_gracefully(queries)



def test_a_fresh_environment_with_nothing_landed_runs_setup_and_history_only(local_lakehouse):
    """The batch test's first cycle: no stream could read anything, so none starts; the
    first landed file, a stream's checkpoint or a table's first write makes them run."""
    from data_generators import GeneratorSpec
    from lakehouse_local import producer

    lh = local_lakehouse
    producer.land_history(lh, GeneratorSpec(seed=3, sets=1, scale=0.02, visits_per_user=1))
    assert set(run.run_once(lh)) == {"setup+history"}
    assert lh.spark.table(lh.table("date_lookup")).count() > 0
    assert lh.store("checkpoint").list("checkpoints/") == []
    assert run.nothing_to_stream(lh)

    zone, ckpt = lh.store("data_zone"), lh.store("checkpoint")
    zone.put_bytes("raw/gym_logins_bz/_hidden.csv", b"x")  # the file source skips it too
    assert run.nothing_to_stream(lh)
    zone.put_bytes("raw/gym_logins_bz/gym-1.csv", b"x")
    assert not run.nothing_to_stream(lh)
    zone.delete_prefix("raw/gym_logins_bz/gym-1.csv")
    ckpt.put_bytes("checkpoints/gym_logins_bz/metadata", b'{"id":"x"}')
    assert not run.nothing_to_stream(lh)
    ckpt.delete_prefix("checkpoints/")
    assert run.nothing_to_stream(lh)
    lh.spark.sql(f"INSERT INTO {lh.table('registered_users_bz')} (user_id) VALUES (7)")
    assert not run.nothing_to_stream(lh)
