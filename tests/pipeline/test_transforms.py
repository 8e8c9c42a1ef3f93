"""Silver and gold transformations on small hand-worked DataFrames (seconds, not minutes).

Each expected value is worked out by hand from docs/domain.md's rules, beside
the end-to-end tests that check whole sets against the generator's ground
truth. Compared with pyspark.testing.assertDataFrameEqual (order-free).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pyspark.testing import assertDataFrameEqual

from app.pipeline import gold, sessions, silver

pytestmark = pytest.mark.integration


def t(hh_mm_ss: str, day: int = 10) -> datetime:
    h, m, s = map(int, hh_mm_ss.split(":"))
    return datetime(2023, 3, day, h, m, s)


EVENTS = "user_id BIGINT, workout_id INT, session_id INT, action STRING, time TIMESTAMP"


def test_pair_sessions_stop_within_three_hours_after_start(spark):
    events = spark.createDataFrame([
        (1, 1, 1, "start", t("10:00:00")), (1, 1, 1, "stop", t("10:30:00")),   # a pair
        (1, 1, 2, "start", t("12:00:00")), (1, 1, 2, "stop", t("15:00:00")),   # exactly 3 h: a pair
        (1, 1, 3, "start", t("16:00:00")), (1, 1, 3, "stop", t("19:00:01")),   # 3 h 1 s: none
        (1, 1, 4, "start", t("20:00:00")), (1, 1, 4, "stop", t("19:59:00")),   # stop first: none
        (2, 1, 1, "start", t("10:00:00")),                                     # no stop yet
        (3, 2, 1, "stop", t("11:00:00")),                                      # no start
    ], EVENTS)
    expected = spark.createDataFrame([
        (1, 1, 1, t("10:00:00"), t("10:30:00")),
        (1, 1, 2, t("12:00:00"), t("15:00:00")),
    ], "user_id BIGINT, workout_id INT, session_id INT, start_time TIMESTAMP, end_time TIMESTAMP")
    assertDataFrameEqual(sessions.pair_sessions(events), expected)


def test_readings_in_sessions_start_excluded_end_included_own_device_only(spark):
    readings = spark.createDataFrame([
        (7, t("10:00:00"), 90.0),    # at the start: out
        (7, t("10:00:01"), 100.0),   # in
        (7, t("10:30:00"), 120.0),   # at the end: in
        (7, t("10:30:01"), 130.0),   # after: out
        (8, t("10:10:00"), 140.0),   # another device: out
    ], "device_id BIGINT, time TIMESTAMP, heartrate DOUBLE")
    session = spark.createDataFrame(
        [(1, 3, 5, t("10:00:00"), t("10:30:00"), 7)],
        "user_id BIGINT, workout_id INT, session_id INT, start_time TIMESTAMP, "
        "end_time TIMESTAMP, device_id BIGINT",
    )
    expected = spark.createDataFrame([
        (1, 3, 5, t("10:00:00"), t("10:30:00"), t("10:00:01"), 100.0),
        (1, 3, 5, t("10:00:00"), t("10:30:00"), t("10:30:00"), 120.0),
    ], "user_id BIGINT, workout_id INT, session_id INT, start_time TIMESTAMP, "
       "end_time TIMESTAMP, time TIMESTAMP, heartrate DOUBLE")
    assertDataFrameEqual(sessions.readings_in_sessions(readings, session), expected)


def test_summary_per_session_with_bins_null_when_the_user_has_none(spark):
    readings = spark.createDataFrame([
        (1, 3, 5, 100.0), (1, 3, 5, 120.0), (1, 3, 5, 140.0),   # min 100, avg 120, max 140
        (2, 4, 1, 80.0),                                         # a user without bins
    ], "user_id BIGINT, workout_id INT, session_id INT, heartrate DOUBLE")
    bins = spark.createDataFrame(
        [(1, "25-35", "F", "Springfield", "IL"), (2, None, None, None, None)],
        "user_id BIGINT, age STRING, gender STRING, city STRING, state STRING",
    )
    expected = spark.createDataFrame([
        (3, 5, 1, "25-35", "F", "Springfield", "IL", 100.0, 120.0, 140.0, 3),
        (4, 1, 2, None, None, None, None, 80.0, 80.0, 80.0, 1),
    ], "workout_id INT, session_id INT, user_id BIGINT, age STRING, gender STRING, "
       "city STRING, state STRING, min_bpm DOUBLE, avg_bpm DOUBLE, max_bpm DOUBLE, "
       "num_recordings BIGINT")
    assertDataFrameEqual(gold.summarize(readings, bins), expected)


def test_age_counts_birthdays_exactly_and_bins_by_decade_bands(spark):
    from pyspark.sql import functions as F

    rows = spark.createDataFrame([
        (date(1990, 6, 15), t("23:59:59", day=14).replace(month=6)),  # the day before: 32
        (date(1990, 6, 15), t("00:00:00", day=15).replace(month=6)),  # the birthday: 33
        (date(2006, 1, 1), t("12:00:00")),                            # 17
        (date(1998, 3, 10), t("12:00:00")),                           # 25 exactly
        (date(1928, 1, 1), t("12:00:00")),                            # 95
    ], "dob DATE, at TIMESTAMP")
    age = silver.age_years(F.col("dob"), F.col("at"))
    got = rows.select(age.alias("age"), silver.age_bin(age).alias("bin"))
    expected = spark.createDataFrame(
        [(32, "25-35"), (33, "25-35"), (17, "under 18"), (25, "25-35"), (95, "95+")],
        "age INT, bin STRING",
    )
    assertDataFrameEqual(got, expected)
