"""Late readings, late stops and profile changes reach workout_bpm and gold (run once).

Built on the hand-worked set of ``handmade`` (session 08:05:00 -> 09:10:00 on
device 11; valid readings inside it: 08:05:01 = 100, 08:30:00 = 120,
09:10:00 = 140). Each test holds part of it back, runs, lands the rest in a
later file, runs again; the expected values are worked out by hand.
"""

from __future__ import annotations

import json

from app.pipeline import run
from tests.pipeline import handmade

KAFKA = "raw/kafka_multiplex_bz"


def land_without(zone, keep) -> list[str]:  # type: ignore[no-untyped-def]
    """Land the hand-worked set with only the Kafka lines ``keep`` accepts; return the others."""
    handmade.land(zone)
    lines = handmade.kafka_lines()
    kept = "\n".join(line for line in lines if keep(line)) + "\n"
    zone.put_bytes(f"{KAFKA}/kafka-1.json", kept.encode())
    return [line for line in lines if not keep(line)]


def summary(lh):  # type: ignore[no-untyped-def]
    rows = lh.spark.table(lh.table("workout_bpm_summary")).collect()
    return [
        (r.user_id, r.workout_id, r.session_id, r.city, r.min_bpm, r.avg_bpm, r.max_bpm,
         r.num_recordings)
        for r in rows
    ]


def gold_merges(lh) -> int:  # type: ignore[no-untyped-def]
    history = lh.spark.sql(f"DESCRIBE HISTORY {lh.table('workout_bpm_summary')}")
    return history.where("operation = 'MERGE'").count()


# User 1 moves to Shelbyville at 12:00:00 (after the hand-worked session).
MOVED = {
    "user_id": 1, "update_type": "update", "timestamp": float(handmade.epoch("12:00:00")),
    "dob": "01/15/1990", "sex": "F", "gender": "F", "first_name": "Ann", "last_name": "Lee",
    "address": {"street_address": "2 Elm St", "city": "Shelbyville", "state": "IL",
                "zip": 62565},
}


def later_line(value: dict, topic: str, offset: int, at: str) -> str:  # type: ignore[type-arg]
    """A Kafka line of the hand-worked day, stamped ``at`` (ms), for a later file."""
    return handmade._kafka("1", value, topic, offset, handmade.epoch(at) * 1000)


def value(line: str) -> dict:  # type: ignore[type-arg]
    return json.loads(json.loads(line)["value"])


def test_reading_landing_after_its_session_was_written(local_lakehouse):
    lh = local_lakehouse
    zone = lh.store("data_zone")
    late = land_without(zone, lambda line: value(line).get("time") != "2023-03-10 08:05:01")
    run.run_once(lh)
    assert lh.spark.table(lh.table("workout_bpm")).count() == 2
    # 120 and 140: min 120, avg 130, max 140.
    assert summary(lh) == [(1, 3, 5, "Springfield", 120.0, 130.0, 140.0, 2)]

    zone.put_bytes(f"{KAFKA}/kafka-2.json", ("\n".join(late) + "\n").encode())
    run.run_once(lh)
    assert lh.spark.table(lh.table("workout_bpm")).count() == 3
    assert summary(lh) == [(1, 3, 5, "Springfield", 100.0, 120.0, 140.0, 3)]


def test_stop_landing_in_a_later_file_completes_the_session(local_lakehouse):
    lh = local_lakehouse
    zone = lh.store("data_zone")
    late = land_without(zone, lambda line: value(line).get("action") != "stop")
    run.run_once(lh)
    assert lh.spark.table(lh.table("completed_workouts")).count() == 0
    assert lh.spark.table(lh.table("workout_bpm")).count() == 0
    assert summary(lh) == []

    zone.put_bytes(f"{KAFKA}/kafka-2.json", ("\n".join(late) + "\n").encode())
    run.run_once(lh)
    done = lh.spark.table(lh.table("completed_workouts")).collect()
    assert [(r.user_id, r.workout_id, r.session_id, str(r.start_time), str(r.end_time))
            for r in done] == [(1, 3, 5, "2023-03-10 08:05:00", "2023-03-10 09:10:00")]
    assert summary(lh) == [(1, 3, 5, "Springfield", 100.0, 120.0, 140.0, 3)]


def test_profile_update_changes_the_bins_of_existing_rows(local_lakehouse):
    lh = local_lakehouse
    zone = lh.store("data_zone")
    handmade.land(zone)
    run.run_once(lh)
    assert summary(lh) == [(1, 3, 5, "Springfield", 100.0, 120.0, 140.0, 3)]

    line = later_line(MOVED, "user_info", 40, "12:00:00")
    zone.put_bytes(f"{KAFKA}/kafka-2.json", (line + "\n").encode())
    run.run_once(lh)
    # Same readings, new city.
    assert summary(lh) == [(1, 3, 5, "Shelbyville", 100.0, 120.0, 140.0, 3)]


def test_profile_update_and_a_new_session_in_one_run_both_reach_gold(local_lakehouse):
    """One gold batch with both kinds of change: the stored row is re-binned, the new one added."""
    lh = local_lakehouse
    zone = lh.store("data_zone")
    handmade.land(zone)
    run.run_once(lh)
    assert summary(lh) == [(1, 3, 5, "Springfield", 100.0, 120.0, 140.0, 3)]


    # Session 6 of workout 3, 13:00:00 -> 13:30:00; readings inside it: 13:10 = 90, 13:20 = 110.
    lines = [
        later_line(MOVED, "user_info", 40, "12:00:00"),
        later_line({"user_id": 1, "workout_id": 3, "timestamp": float(handmade.epoch("13:00:00")),
               "action": "start", "session_id": 6}, "workout", 41, "13:00:00"),
        later_line({"device_id": 11, "time": "2023-03-10 13:10:00", "heartrate": 90.0},
              "bpm", 42, "13:10:00"),
        later_line({"device_id": 11, "time": "2023-03-10 13:20:00", "heartrate": 110.0},
              "bpm", 43, "13:20:00"),
        later_line({"user_id": 1, "workout_id": 3, "timestamp": float(handmade.epoch("13:30:00")),
               "action": "stop", "session_id": 6}, "workout", 44, "13:30:00"),
    ]
    zone.put_bytes(f"{KAFKA}/kafka-2.json", ("\n".join(lines) + "\n").encode())
    merges_before = gold_merges(lh)
    run.run_once(lh)
    assert gold_merges(lh) == merges_before + 1  # both changes in one commit
    assert sorted(summary(lh)) == [
        (1, 3, 5, "Shelbyville", 100.0, 120.0, 140.0, 3),  # same readings, new city
        (1, 3, 6, "Shelbyville", 90.0, 100.0, 110.0, 2),
    ]


def session_lines(
    session: int, start: str, stop: str, readings: list[tuple[str, float]], offset: int
) -> list[str]:
    """User 1's workout 3 session ``session`` with readings of device 11, as Kafka lines."""
    def workout(action: str, at: str, n: int) -> str:
        return later_line({"user_id": 1, "workout_id": 3, "timestamp": float(handmade.epoch(at)),
                           "action": action, "session_id": session}, "workout", n, at)

    bpm = [later_line({"device_id": 11, "time": f"2023-03-10 {at}", "heartrate": hr}, "bpm",
                      offset + 1 + i, at) for i, (at, hr) in enumerate(readings)]
    return [workout("start", start, offset), *bpm, workout("stop", stop, offset + 9)]


def test_a_later_session_in_the_same_hour_leaves_the_other_sessions_whole(local_lakehouse):
    """Gold sums up again every session inside the hours of the recomputed ones, and only those."""
    lh = local_lakehouse
    zone = lh.store("data_zone")
    handmade.land(zone)
    run.run_once(lh)
    first = (1, 3, 5, "Springfield", 100.0, 120.0, 140.0, 3)
    assert summary(lh) == [first]

    # Session 6, 09:20 -> 10:50 (10:30 = 90): the batch's changes are its
    # start (hour 09) and a reading in hour 10, which touch no other session,
    # so gold recomputes session 6 and sums up every session inside hours
    # 09-10. Session 5 (08:05 -> 09:10) is not inside them: summed up from
    # its reading in hour 09 alone (09:10 = 140) it would become 140/140/140.
    lines = session_lines(6, "09:20:00", "10:50:00", [("10:30:00", 90.0)], 100)
    zone.put_bytes(f"{KAFKA}/kafka-2.json", ("\n".join(lines) + "\n").encode())
    run.run_once(lh)
    sixth = (1, 3, 6, "Springfield", 90.0, 90.0, 90.0, 1)
    assert sorted(summary(lh)) == [first, sixth]

    # Session 7, 10:52 -> 10:58 (10:55 = 80): its reading's hour overlaps
    # session 6, which is summed up again from workout_bpm, to the same values.
    lines = session_lines(7, "10:52:00", "10:58:00", [("10:55:00", 80.0)], 200)
    zone.put_bytes(f"{KAFKA}/kafka-3.json", ("\n".join(lines) + "\n").encode())
    run.run_once(lh)
    assert sorted(summary(lh)) == [first, sixth, (1, 3, 7, "Springfield", 80.0, 80.0, 80.0, 1)]
