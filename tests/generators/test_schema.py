"""Every landed file reads back with Spark using docs/domain.md's schemas.

The schema strings are copied from docs/domain.md (not from the generator); epoch
seconds are read as double, as docs/domain.md requires of the pipeline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from data_generators import Faults, GeneratorSpec, generate_sets

CORRUPT = "_corrupt_record"
REGISTERED_USERS = ("user_id long, device_id long, mac_address string, "
                    "registration_timestamp double")
GYM_LOGINS = "mac_address string, gym bigint, login double, logout double"
KAFKA = ("key string, value string, topic string, partition bigint, offset bigint, "
         "timestamp bigint")
USER_INFO = ("user_id bigint, update_type string, timestamp double, dob string, sex string, "
             "gender string, first_name string, last_name string, "
             "address struct<street_address:string, city:string, state:string, zip:int>")
WORKOUT = "user_id int, workout_id int, timestamp double, action string, session_id int"
BPM = "device_id long, time timestamp, heartrate double"
DATE_LOOKUP = ("date string, week string, year string, month string, dayofweek string, "
               "dayofmonth string, dayofyear string, week_part string")


def _csv(spark, path: Path, schema: str):  # type: ignore[no-untyped-def]
    return (spark.read.schema(f"{schema}, {CORRUPT} string").option("header", True)
            .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT)
            .csv(str(path)))


def _json(spark, path: Path, schema: str):  # type: ignore[no-untyped-def]
    return (spark.read.schema(f"{schema}, {CORRUPT} string").option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", CORRUPT).json(str(path)))


@pytest.fixture(scope="module")
def clean_zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("clean-zone")
    spec = GeneratorSpec(seed=3, sets=2, users_per_set=2, visits_per_user=2)
    return root, generate_sets(spec, root)[-1].manifest


def test_clean_files_read_back_without_corrupt_records(spark, clean_zone) -> None:
    from pyspark.sql import functions as F

    root, manifest = clean_zone
    counts = manifest["counts"]
    users = _csv(spark, root / "raw/registered_users_bz", REGISTERED_USERS).cache()
    gym = _csv(spark, root / "raw/gym_logins_bz", GYM_LOGINS).cache()
    kafka = _json(spark, root / "raw/kafka_multiplex_bz", KAFKA).cache()
    for df, table in ((users, "registered_users_bz"), (gym, "gym_logins_bz"),
                      (kafka, "kafka_multiplex_bz")):
        assert df.where(F.col(CORRUPT).isNotNull()).count() == 0, table
        assert df.count() == counts[table], table
    assert users.where("user_id is null or device_id is null or mac_address is null "
                       "or registration_timestamp is null").count() == 0
    assert gym.where("mac_address is null or gym is null or login is null").count() == 0
    assert kafka.where("value is null or topic is null or timestamp is null").count() == 0

    def topic(name: str, schema: str):  # type: ignore[no-untyped-def]
        return (kafka.where(F.col("topic") == name)
                .select(F.from_json("value", schema, {"mode": "FAILFAST"}).alias("v"))
                .select("v.*"))

    info = topic("user_info", USER_INFO)
    assert info.where("user_id is null or timestamp is null or address.zip is null").count() == 0
    assert info.where(F.to_date("dob", "MM/dd/yyyy").isNull()).count() == 0
    workout = topic("workout", WORKOUT)
    assert workout.where("user_id is null or timestamp is null or session_id is null").count() == 0
    assert workout.select("user_id", "timestamp").distinct().count() == counts["workouts"]
    bpm = topic("bpm", BPM)
    assert bpm.where("device_id is null or time is null or heartrate is null").count() == 0
    assert bpm.select("device_id", "time").distinct().count() == counts["heart_rate"]
    # Exercise minutes at full precision straight from the landed events.
    joined = (workout.where("action = 'start'").alias("s")
              .join(workout.where("action = 'stop'").alias("e"), ["user_id", "session_id"])
              .select("user_id", "session_id",
                      ((F.col("e.timestamp") - F.col("s.timestamp")) / 60).alias("minutes")))
    got = {(r.user_id, r.session_id): r.minutes for r in joined.collect()}
    for row in manifest["rows"]["gym_summary"]:
        match = [m for (u, s), m in got.items() if s == row["session_id"]]
        assert row["minutes_exercising"] in match
    lookup = _json(spark, root / "test_data", DATE_LOOKUP).cache()
    assert lookup.where(F.col(CORRUPT).isNotNull()).count() == 0
    assert lookup.count() == counts["date_lookup"]
    sunday = lookup.where("date = '2023-03-05'").first()
    assert (sunday.dayofweek, sunday.week_part) == ("1", "2023-09")


def test_malformed_lines_are_what_spark_cannot_take(spark, tmp_path: Path) -> None:
    """With every fault on, the well-formed rows Spark sees match the bronze counts."""
    from pyspark.sql import functions as F

    faults = Faults(duplicates=0.02, duplicate_files=0.3, late=0.02, invalid_bpm=0.02,
                    malformed=0.02, seconds_timestamps=0.05, crlf=0.5, blank_lines=0.5)
    spec = GeneratorSpec(seed=5, sets=1, users_per_set=2, visits_per_user=2, faults=faults,
                         file_seconds=3600)
    manifest = generate_sets(spec, tmp_path)[-1].manifest
    counts = manifest["counts"]
    checks = {
        "registered_users_bz": (_csv, REGISTERED_USERS, "raw/registered_users_bz",
                                "user_id is null or mac_address is null or "
                                "registration_timestamp is null"),
        "gym_logins_bz": (_csv, GYM_LOGINS, "raw/gym_logins_bz",
                          "mac_address is null or gym is null or login is null"),
        "kafka_multiplex_bz": (_json, KAFKA, "raw/kafka_multiplex_bz",
                               "value is null or topic is null or timestamp is null"),
    }
    quarantined = 0
    for table, (read, schema, folder, missing) in checks.items():
        df = read(spark, tmp_path / folder, schema).cache()
        bad = F.col(CORRUPT).isNotNull() | F.expr(missing)
        assert df.where(~bad).count() == counts[table], table
        quarantined += df.where(bad).count()
    assert quarantined == counts["quarantine"] > 0
