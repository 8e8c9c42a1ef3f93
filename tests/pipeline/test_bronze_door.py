"""Bronze's door, line by line: hand-made hostile lines with the verdict each must get.

Every expectation comes from the rules (docs/domain.md's formats, the plausibility
window 2000-01-01 .. file landed + 1 day, the 1 MiB record limit), worked out
by hand per line, never from the pipeline's output. The two silent losses of
issue 8 are here as described there: a workout whose timestamp lies absurdly
far in the future (it emptied workouts, completed_workouts and workout_bpm),
a record of a few megabytes (it vanished), and a Kafka timestamp that fits no
BIGINT (it stopped bronze for good).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from app.pipeline import run, settings
from tests.pipeline import handmade

KAFKA = "raw/kafka_multiplex_bz"
MB = 1 << 20
T0 = handmade.epoch("08:20:00")  # inside the hand-worked session, 2023-03-10


def kafka(value: dict | str, topic: str = "bpm", ts: float | str = T0 * 1000,
          offset: int = 900, **extra: object) -> str:
    record = {"key": "11", "value": value if isinstance(value, str) else json.dumps(value),
              "topic": topic, "partition": 0, "offset": offset, "timestamp": ts, **extra}
    return json.dumps(record)


def bpm(hms: str = "08:20:00", hr: float = 110.0, **fields: object) -> dict:
    return {"device_id": 11, "time": f"2023-03-10 {hms}", "heartrate": hr, **fields}


def utc_text(epoch: int) -> str:
    """A BPM time as docs/domain.md writes it: ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def workout(ts: float, action: str = "start", session: int = 77) -> dict:
    return {"user_id": 1, "workout_id": 9, "timestamp": ts, "action": action,
            "session_id": session}


# line -> None (good: goes to bronze) or a piece of its quarantine reason.
KAFKA_LINES: list[tuple[str, str | None]] = [
    ("\ufeff" + kafka(bpm("08:20:01")), None),  # a UTF-8 BOM opens the file
    (kafka(bpm("08:20:02"), extra_nested={"a": [1, 2]}), None),  # extra fields are ignored
    (kafka(bpm("08:20:03")) + kafka(bpm("08:20:04")), "not exactly one JSON object"),
    (kafka(bpm("08:20:05")) + " trailing words", "not exactly one JSON object"),
    (kafka(bpm("08:20:06")) + "] " + kafka(bpm("08:20:07")), "not exactly one JSON object"),
    ("[]", "not a valid JSON record"),
    (f"[{kafka(bpm('08:20:08'))},{kafka(bpm('08:20:09'))}]", "not a valid JSON record"),
    (kafka(bpm("08:20:10"), ts=1e20),
     "(read as milliseconds) is outside the plausible window 2000-01-01T00:00:00Z .. "),
    (kafka(bpm("08:20:11"), ts=-5), "is outside the plausible window"),
    (kafka(bpm("08:20:12")).replace(f'"timestamp": {T0 * 1000}', '"timestamp": NaN'),
     "field 'timestamp' value 'NaN' is not a finite number"),
    (kafka(bpm("08:20:13", hr=float("inf"))), "field 'heartrate' value 'Infinity' is not a finite"),
    (kafka(bpm("08:20:14", hr=float("nan"))), "field 'heartrate' value 'NaN' is not a finite"),
    (kafka({"device_id": 11, "time": "1999-12-31 23:59:59", "heartrate": 90.0}),
     "field 'time' value '1999-12-31 23:59:59' is outside the plausible window"),
    (kafka({"device_id": None, "time": "2023-03-10 08:20:15", "heartrate": 90.0}),
     "value field 'device_id' is missing"),
    (kafka({"device_id": "11", "time": "2023-03-10 08:20:16", "heartrate": 90.0}),
     "value field 'device_id' value '11' is not a BIGINT"),
    (kafka(workout(T0, action="pause"), topic="workout"),
     "field 'action' value 'pause' is not one of start, stop"),
    (kafka(workout(32_503_680_000.0), topic="workout"),  # 3000-01-01, in seconds
     "value field 'timestamp' value '"),  # ... is outside the plausible window
    (kafka({"user_id": 1, "update_type": "update", "timestamp": float(T0), "dob": "13/45/1990"},
           topic="user_info"), "field 'dob' value '13/45/1990' is not a date in MM/dd/yyyy"),
    # A lone 0xFF byte inside the key (written with surrogateescape, below).
    (kafka(bpm("08:20:17")).replace('"key": "11"', '"key": "1\udcff1"'), "not valid UTF-8"),
    (kafka(bpm("08:20:18"), junk="x" * (2 * MB)), "over the limit of 1048576 bytes"),
    (kafka(json.dumps(bpm("08:20:21")) + json.dumps(bpm("08:20:22"))),
     "value is not exactly one JSON document"),
    (kafka(bpm("08:20:19"), topic="heartbeat"), "unknown topic 'heartbeat'"),
    ("   ", "blank"),  # whitespace only: no record at all
    (kafka(bpm("08:20:20")), None),
]


def _bytes(lines: list[tuple[str, str | None]]) -> bytes:
    return b"".join(line.encode("utf-8", "surrogateescape") + b"\r\n" for line, _ in lines)


def _expect(lines: list[tuple[str, str | None]]) -> tuple[int, list[str]]:
    good = sum(1 for _, why in lines if why is None)
    return good, [why for _, why in lines if why not in (None, "blank")]


def _quarantined(lh, name: str) -> list:  # type: ignore[no-untyped-def]
    return [r for r in lh.spark.table(lh.table(settings.QUARANTINE)).collect()
            if r.source_file.endswith(name)]


def test_every_kafka_line_is_bronze_quarantine_or_blank(local_lakehouse):
    lh = local_lakehouse
    zone = lh.store("data_zone")
    handmade.land(zone)
    zone.put_bytes(f"{KAFKA}/hostile.json", _bytes(KAFKA_LINES))
    run.prepare(lh)
    run.run_stage(lh, tuple(settings.BRONZE_STREAMS))  # must not raise: no line stops the stream
    spark = lh.spark
    bronze = spark.table(lh.table("kafka_multiplex_bz"))
    good, bad = _expect(KAFKA_LINES)
    assert bronze.where("source_file LIKE '%/hostile.json'").count() == good
    assert bronze.where("source_file LIKE '%/kafka-1.json'").count() == 9  # the other file
    rows = _quarantined(lh, "/hostile.json")
    assert len(rows) == len(bad)
    reasons = sorted(r.reason for r in rows)
    for piece in bad:
        if not any(piece in r for r in reasons):
            print("\n".join(reasons))
        assert any(piece in r for r in reasons), piece
    assert all(r.reason.startswith("hostile.json: ") for r in rows)
    big = [r for r in rows if "over the limit" in r.reason]
    assert len(big) == 1 and len(big[0].raw) == settings.QUARANTINE_RAW_CHARS
    original = next(len(line.encode()) for line, why in KAFKA_LINES if why and "limit" in why)
    assert f"record is {original} bytes" in big[0].reason
    # Bronze keeps the good lines as landed (the BOM dropped), timestamps as BIGINT.
    kept = {r.value for r in bronze.where("source_file LIKE '%/hostile.json'").collect()}
    assert json.dumps(bpm("08:20:01")) in kept
    # One file per (topic, week_part) per batch, nothing left to compact
    # (settings.OPTIMIZE_WRITE). The two landing files are two read tasks (a
    # small file is its own split) and both hold heart-rate records: without
    # optimized writes each task writes its own file into that partition, and
    # auto compaction commits a second version rewriting them.
    table = lh.table("kafka_multiplex_bz")
    partitions = bronze.select("topic", "week_part").distinct().count()
    history = lh.spark.sql(f"DESCRIBE HISTORY {table}").collect()
    assert sorted(r.operation for r in history) == ["CREATE TABLE", "WRITE"]
    assert history[0].operationMetrics["numFiles"] == str(partitions)


CSV_USERS = "raw/registered_users_bz"
HEADER = "user_id,device_id,mac_address,registration_timestamp"
CSV_LINES: list[tuple[str, str | None]] = [
    ("\ufeff" + HEADER, "header"),
    ("2,12,aa:02,1678400000", None),
    ("3,13,aa:03,1678400000,extra", "expected 4 fields, found 5"),
    ("4,14,aa:04", "expected 4 fields, found 3"),
    ("5,15,aa:05,NaN", "field 'registration_timestamp' value 'NaN' is not a finite number"),
    ("6,16,aa:06,Infinity", "is not a finite number"),
    ("7,17,aa:07,1e15", "field 'registration_timestamp' value '1e15' is outside the plausible"),
    (HEADER, "header"),  # a header repeated mid-file is no record
    (",18,aa:08,1678400000", "field 'user_id' is missing"),
    ("x9,19,aa:09,1678400000", "field 'user_id' value 'x9' is not a BIGINT"),
    ("," * 30_000, "expected 4 fields, found 30001"),  # more columns than the CSV parser allows
    ("10,20,aa:10,1678400000.0", None),
]


def test_every_csv_line_is_bronze_quarantine_header_or_blank(local_lakehouse):
    lh = local_lakehouse
    zone = lh.store("data_zone")
    handmade.land(zone)
    body = "\n".join(line for line, _ in CSV_LINES) + "\n\n"
    zone.put_bytes(f"{CSV_USERS}/hostile.csv", body.encode())
    # A file without a header: its first line is a record, not a header to drop.
    zone.put_bytes(f"{CSV_USERS}/no-header.csv", b"11,21,aa:11,1678400000\n")
    run.prepare(lh)
    run.run_stage(lh, tuple(settings.BRONZE_STREAMS))
    users = lh.spark.table(lh.table("registered_users_bz"))
    assert sorted(r.user_id for r in users.collect()) == [1, 2, 10, 11]
    rows = _quarantined(lh, "/hostile.csv")
    bad = [why for _, why in CSV_LINES if why not in (None, "header")]
    assert len(rows) == len(bad)
    for piece in bad:
        assert any(piece in r.reason for r in rows), (piece, [r.reason for r in rows])


@pytest.mark.slow
def test_implausible_times_never_reach_silver(local_lakehouse):
    """Issue 8's losses, as described there, and the run after them."""
    lh = local_lakehouse
    zone = lh.store("data_zone")
    handmade.land(zone)
    far_future = 1e12  # epoch seconds: the year 33658
    lines = [
        kafka(workout(far_future, action="start", session=99), topic="workout", offset=950),
        kafka(workout(far_future + 60, action="stop", session=99), topic="workout", offset=951),
        kafka(bpm("08:20:30"), ts=9.3e18 * 10),  # fits no BIGINT: stopped bronze for good
        # A few megabytes on one line: many records run together, no newline.
        "".join(kafka({"device_id": 11, "heartrate": 99.0,
                       "time": utc_text(T0 + 60 + i)}) for i in range(16_000)),
    ]
    zone.put_bytes(f"{KAFKA}/poison.json", ("\n".join(lines) + "\n").encode())
    run.run_once(lh)
    spark = lh.spark
    # The hand-worked set is whole: one completed session, 3 readings, 1 summary row.
    assert spark.table(lh.table("workouts")).count() == 2
    assert spark.table(lh.table("completed_workouts")).count() == 1
    assert spark.table(lh.table("workout_bpm")).count() == 3
    summary = spark.table(lh.table("workout_bpm_summary")).collect()
    assert [(r.session_id, r.num_recordings) for r in summary] == [(5, 3)]
    rows = _quarantined(lh, "/poison.json")
    assert len(rows) == 4
    assert sum("over the limit" in r.reason for r in rows) == 1
    assert spark.table(lh.table("kafka_multiplex_bz")).where(
        "source_file LIKE '%/poison.json'").count() == 0
    # The next run over the same landing zone works and changes nothing.
    run.run_once(lh)
    assert spark.table(lh.table("workout_bpm")).count() == 3
