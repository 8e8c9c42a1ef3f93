"""The dimension MERGE writers on small hand-worked batches (seconds, not minutes).

Each test calls a silver table's writer directly, batch after batch, on a
real Delta table, and compares the table with rows worked out by
hand from the rules of docs/domain.md ("Deduplication and updates"):

- users: the first registration wins; within a batch the earliest
  ``registration_timestamp`` per user; a stored user never changes.
- gym_logs: a new visit is inserted; a stored visit takes a ``logout`` only
  when it is after its ``login`` and after the stored one (or fills an empty
  one); within a batch a visit gets its latest valid ``logout``.
- user_profile: newest change wins, ``delete`` removes only when newer and is
  ignored for an unknown user; user_bins (SCD type 1) follows the profile.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pyspark.testing import assertDataFrameEqual

from app.pipeline import ddl, silver

pytestmark = pytest.mark.integration


def t(hh_mm: str, day: int = 10) -> datetime:
    h, m = map(int, hh_mm.split(":"))
    return datetime(2023, 3, day, h, m)


USERS = "user_id BIGINT, device_id BIGINT, mac_address STRING, registration_timestamp TIMESTAMP"
VISITS = "mac_address STRING, gym BIGINT, login TIMESTAMP, logout TIMESTAMP"
PROFILE = (
    "user_id BIGINT, dob DATE, sex STRING, gender STRING, first_name STRING, last_name STRING, "
    "street_address STRING, city STRING, state STRING, zip INT, updated TIMESTAMP, "
    "update_type STRING"
)


@pytest.fixture
def lh(local_lakehouse):  # type: ignore[no-untyped-def]
    ddl.setup(local_lakehouse)
    return local_lakehouse


def table(lh, name: str):  # type: ignore[no-untyped-def]
    return lh.spark.read.table(lh.table(name))


def test_users_first_registration_wins_and_stored_users_never_change(lh):
    def upsert(rows, batch_id):  # type: ignore[no-untyped-def]  # batch ids as a stream's
        silver.upsert_users(lh, rows)
    batch = lh.spark.createDataFrame
    upsert(batch([
        (1, 11, "aa", t("10:00")),
        (1, 12, "bb", t("09:00")),      # same user, earlier: this one
        (None, 13, "cc", t("08:00")),   # no user id: never stored
        (2, 21, "dd", t("10:00")),
    ], USERS), 0)
    upsert(batch([
        (1, 99, "zz", t("07:00", day=9)),  # stored user: ignored, even though earlier
        (3, 31, "ee", t("11:00")),
    ], USERS), 1)
    upsert(batch([(3, 32, "ff", t("12:00"))], USERS), 1)   # a replayed id: still nothing new
    expected = batch([
        (1, 12, "bb", t("09:00")),
        (2, 21, "dd", t("10:00")),
        (3, 31, "ee", t("11:00")),
    ], USERS)
    assertDataFrameEqual(table(lh, "users"), expected)


def test_gym_logs_logout_only_moves_forward_and_never_before_login(lh):
    def upsert(rows, batch_id):  # type: ignore[no-untyped-def]  # batch ids as a stream's
        silver.upsert_gym_logs(lh, rows)
    batch = lh.spark.createDataFrame
    upsert(batch([
        ("aa", 1, t("08:00"), None),            # at login: no logout yet
        ("bb", 1, t("08:00"), t("09:00")),
        ("bb", 1, t("08:00"), t("09:30")),      # same visit, later logout in the batch: kept
        ("cc", 2, t("10:00"), t("09:59")),      # logout before login: visit without a logout
    ], VISITS), 0)
    upsert(batch([
        ("aa", 1, t("08:00"), t("08:45")),      # fills the empty logout
        ("bb", 1, t("08:00"), t("09:15")),      # earlier than the stored 09:30: ignored
        ("cc", 2, t("10:00"), t("10:00")),      # equal to login: not after it, ignored
        ("aa", 1, t("18:00"), None),            # a second visit of the same device
    ], VISITS), 1)
    upsert(batch([("aa", 1, t("08:00"), t("08:50"))], VISITS), 2)   # later: advances
    expected = batch([
        ("aa", 1, t("08:00"), t("08:50")),
        ("aa", 1, t("18:00"), None),
        ("bb", 1, t("08:00"), t("09:30")),
        ("cc", 2, t("10:00"), None),
    ], VISITS)
    assertDataFrameEqual(table(lh, "gym_logs"), expected)


def profile(user_id: int, kind: str, at: datetime, city: str = "Springfield",
            dob: date = date(1990, 6, 15), gender: str = "F") -> tuple:  # type: ignore[type-arg]
    return (user_id, dob, "F", gender, "Ann", "Lee", "1 Main St", city, "IL", 62701, at,
            kind)


def test_user_profile_newest_wins_deletes_only_when_newer_and_bins_follow(lh):
    def upsert(rows, batch_id):  # type: ignore[no-untyped-def]  # batch ids as a stream's
        silver.upsert_profiles(lh, rows)
    batch = lh.spark.createDataFrame
    upsert(batch([
        profile(1, "new", t("08:00"), city="Aurora"),
        profile(1, "update", t("09:00"), city="Peoria"),   # newest of the batch: kept
        profile(2, "new", t("08:00"), dob=date(2000, 3, 11)),
        profile(3, "delete", t("08:00")),                 # unknown user: ignored
        profile(4, "new", t("08:00")),
    ], PROFILE), 0)
    upsert(batch([
        profile(1, "update", t("08:30"), city="Joliet"),  # older than stored 09:00: ignored
        profile(2, "update", t("09:00"), dob=date(1998, 3, 9), gender="M"),  # newer: applied
        profile(4, "delete", t("07:00")),                 # older than stored: ignored
    ], PROFILE), 1)
    upsert(batch([profile(4, "delete", t("12:00"))], PROFILE), 2)   # newer: removes user 4
    expected = batch([
        profile(1, "update", t("09:00"), city="Peoria"),
        profile(2, "update", t("09:00"), dob=date(1998, 3, 9), gender="M"),
    ], PROFILE).drop("update_type")
    assertDataFrameEqual(table(lh, "user_profile"), expected)
    # Bins from the current profiles, ages at the change's date (2023-03-10):
    # user 1, born 1990-06-15: 32 (birthday not reached) -> 25-35;
    # user 2, first born 2000-03-11 (22 -> 18-25), then 1998-03-09: 25, the birthday
    # the day before -> 25-35; user 4's bins went with its profile.
    bins = batch([
        (1, "25-35", "F", "Peoria", "IL"),
        (2, "25-35", "M", "Springfield", "IL"),
    ], "user_id BIGINT, age STRING, gender STRING, city STRING, state STRING")
    assertDataFrameEqual(table(lh, "user_bins"), bins)


def test_a_persisted_merge_source_stays_cached_after_the_merge(lh):
    """Batches reuse their deduplicated rows after the MERGE (completed_workouts, gold)."""
    from pyspark import StorageLevel

    from app.pipeline import merge

    rows = lh.spark.createDataFrame(
        [(1, 11, "aa", t("10:00")), (2, 21, "bb", t("10:00"))], USERS
    ).dropDuplicates(["user_id"]).persist()
    try:
        rows.count()
        assert rows.storageLevel != StorageLevel.NONE
        merge.Merge(lh, "users", rows, "t.user_id = s.user_id").when_not_matched_insert_all(
        ).execute()
        # spark.catalog.dropTempView would have uncached it with the MERGE's source view.
        assert rows.storageLevel != StorageLevel.NONE
    finally:
        rows.unpersist()
    assert table(lh, "users").count() == 2
