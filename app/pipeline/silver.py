"""Silver: every silver table of docs/domain.md, each an idempotent upsert.

No silver table has a stream of its own. The tables that follow from landed
records alone are written in the micro-batch of the bronze stream that landed
them (``FOLLOWERS``, run by ``app.pipeline.bronze``), from the records bronze
has just checked and parsed:

- users, gym_logs, user_profile: sparse dimensions, deduplicated within the
  micro-batch and MERGEd (insert-if-new, logout-only-if-later, newest-wins
  CDC).
- heart_rate, workouts: the dense events, deduplicated within the batch and
  MERGEd insert-only on their key, reading only the target files of the hours
  the batch touches.
- completed_workouts: written right after workouts (``app.pipeline.sessions``).
- user_bins: SCD type 1, written right after user_profile from the profiles it touched.
- workout_bpm: a keys-of-change join written with gold (``app.pipeline.gold``).

Each table has one writer taking silver-shaped rows (``upsert_users``,
``insert_events``...), which the follower of its bronze batch feeds. Nothing
here keeps streaming state or a watermark: the event times are not one clock
(a user registers long before working out, a reading lands late), and a
single implausible time would otherwise move a watermark past every good row.
Event times are DOUBLE epoch seconds cast to TIMESTAMP (microseconds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.pipeline import merge, prune, sessions, settings

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from app.pipeline.bronze import Follower
    from app.platform.lakehouse import Lakehouse


def _newest(df: DataFrame, keys: list[str], order: list[Column]) -> DataFrame:
    """One row per key: the first by ``order``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy(*keys).orderBy(*order)
    return df.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


def topic_values(records: DataFrame, topic: str) -> DataFrame:
    """The parsed values of one topic's records of a Kafka bronze batch."""
    from pyspark.sql import functions as F

    from app.pipeline import landing

    return records.where(F.col("topic") == topic).select(f"{landing.value_column(topic)}.*")


# --- users -------------------------------------------------------------------
def users(lh: Lakehouse, records: DataFrame) -> None:
    """Follows registered_users_bz: its batch's registrations."""
    from pyspark.sql import functions as F

    upsert_users(lh, records.select(
        "user_id",
        "device_id",
        "mac_address",
        F.col("registration_timestamp").cast("timestamp").alias("registration_timestamp"),
    ))


def upsert_users(lh: Lakehouse, rows: DataFrame) -> None:
    from pyspark.sql import functions as F

    first = _newest(
        rows.where("user_id IS NOT NULL"), ["user_id"], [F.col("registration_timestamp")]
    ).persist()
    try:
        # The batch's ids as a literal: the MERGE reads only users files that may hold them.
        ids = {r.user_id for r in first.select("user_id").collect()}
        if not ids:
            return
        merge.Merge(
            lh, "users", first, f"t.user_id = s.user_id AND {prune.in_list('t.user_id', ids)}"
        ).when_not_matched_insert_all().execute()
    finally:
        first.unpersist()


# --- gym_logs ------------------------------------------------------------------
def gym_logs(lh: Lakehouse, records: DataFrame) -> None:
    """Follows gym_logins_bz: its batch's logins and logouts."""
    from pyspark.sql import functions as F

    upsert_gym_logs(lh, records.select(
        "mac_address",
        "gym",
        F.col("login").cast("timestamp").alias("login"),
        F.col("logout").cast("timestamp").alias("logout"),
    ))


def upsert_gym_logs(lh: Lakehouse, rows: DataFrame) -> None:
    from pyspark.sql import functions as F

    # A visit may land with an empty logout and again with it: keep the
    # latest valid logout per visit.
    visits = rows.groupBy("mac_address", "gym", "login").agg(
        F.max(F.when(F.col("logout") > F.col("login"), F.col("logout"))).alias("logout")
    ).persist()
    try:
        # The hours of the batch's logins as a literal: the MERGE reads only
        # the gym_logs files of those hours, not every visit ever logged.
        hours = prune.time_ranges(visits, "login")
        if not hours:
            return
        (
            merge.Merge(
                lh, "gym_logs", visits,
                "t.mac_address = s.mac_address AND t.gym = s.gym AND t.login = s.login "
                f"AND {prune.in_ranges('t.login', hours)}",
            )
            .when_matched_update(
                condition="s.logout > t.login AND (t.logout IS NULL OR s.logout > t.logout)",
                set={"logout": "s.logout"},
            )
            .when_not_matched_insert_all()
            .execute()
        )
    finally:
        visits.unpersist()


# --- user_profile (CDC, newest wins) -------------------------------------------
PROFILE_COLUMNS = (
    "user_id",
    "dob",
    "sex",
    "gender",
    "first_name",
    "last_name",
    "street_address",
    "city",
    "state",
    "zip",
    "updated",
)


def user_profile(lh: Lakehouse, records: DataFrame) -> None:
    """Follows kafka_multiplex_bz: its batch's user_info changes (and then user_bins)."""
    from pyspark.sql import functions as F

    upsert_profiles(lh, topic_values(records, "user_info").select(
        "user_id",
        F.to_date("dob", settings.DOB_FORMAT).alias("dob"),
        "sex",
        "gender",
        "first_name",
        "last_name",
        "address.street_address",
        "address.city",
        "address.state",
        "address.zip",
        F.col("timestamp").cast("timestamp").alias("updated"),
        "update_type",
    ))


def upsert_profiles(lh: Lakehouse, rows: DataFrame) -> None:
    from pyspark.sql import functions as F

    changes = _newest(
        rows.where(F.col("update_type").isin(*settings.UPDATE_TYPES)),
        ["user_id"],
        [F.col("updated").desc()],
    ).persist()
    try:
        newest = changes.select("user_id", "update_type").collect()
        ids = {r.user_id for r in newest if r.user_id is not None}
        if not ids:
            return
        values = {c: f"s.{c}" for c in PROFILE_COLUMNS}
        (
            merge.Merge(lh, "user_profile", changes,
                        f"t.user_id = s.user_id AND {prune.in_list('t.user_id', ids)}")
            .when_matched_delete(condition="s.update_type = 'delete' AND t.updated < s.updated")
            .when_matched_update(condition="s.update_type <> 'delete' AND t.updated < s.updated",
                                 set=values)
            .when_not_matched_insert(condition="s.update_type <> 'delete'", values=values)
            .execute()
        )
        write_user_bins(lh, ids, {r.user_id for r in newest if r.update_type == "delete"})
    finally:
        changes.unpersist()


# --- heart_rate, workouts: dense events, deduplicated on their key ---------------
def insert_events(
    lh: Lakehouse, table: str, rows: DataFrame, keys: list[str],
    then: Callable[[DataFrame], None] | None = None,
) -> None:
    """Dedupe ``rows`` on ``keys``, insert the rows not in ``table`` yet.

    No watermark and no streaming state: a duplicate arriving any time later
    is caught by the MERGE, which reads only the files of the hours the batch
    touches (``merge.insert_new`` with the ``time`` column). ``then`` gets the
    deduplicated rows (persisted) after the insert.
    """
    unique = rows.dropDuplicates(keys).persist()
    try:
        merge.insert_new(lh, table, unique, keys, time_column="time")
        if then is not None:
            then(unique)
    finally:
        unique.unpersist()


def heart_rate(lh: Lakehouse, records: DataFrame) -> None:
    """Follows kafka_multiplex_bz: its batch's bpm readings."""
    from pyspark.sql import functions as F

    rows = topic_values(records, "bpm").select(
        "device_id", "time", "heartrate", (F.col("heartrate") > 0).alias("valid")
    )
    insert_events(lh, "heart_rate", rows, ["device_id", "time"])


def workouts(lh: Lakehouse, records: DataFrame) -> None:
    """Follows kafka_multiplex_bz: its batch's workout events (and then completed_workouts)."""
    from pyspark.sql import functions as F

    rows = topic_values(records, "workout").select(
        # The topic declares an INT (bronze checks that); every table holds BIGINT user ids.
        F.col("user_id").cast("bigint").alias("user_id"),
        "workout_id",
        F.col("timestamp").cast("timestamp").alias("time"),
        "action",
        "session_id",
    )
    # completed_workouts right after: a stop completes its session as soon as
    # it is in workouts (no hop to gold).
    insert_events(lh, "workouts", rows, ["user_id", "time"],
                  then=lambda unique: sessions.complete_workouts(lh, unique))


# --- user_bins (SCD type 1) ----------------------------------------------------
AGE_BINS = ((18, 25), (25, 35), (35, 45), (45, 55), (55, 65), (65, 75), (75, 85), (85, 95))


def age_years(dob: Column, at: Column) -> Column:
    """Whole years from ``dob`` to the date of ``at`` (UTC), birthdays counted exactly."""
    from pyspark.sql import functions as F

    day = F.to_date(at)
    before_birthday = (F.month(day) < F.month(dob)) | (
        (F.month(day) == F.month(dob)) & (F.dayofmonth(day) < F.dayofmonth(dob))
    )
    return F.year(day) - F.year(dob) - F.when(before_birthday, 1).otherwise(0)


def age_bin(age: Column) -> Column:
    from pyspark.sql import functions as F

    out = F.when(age < 18, "under 18")
    for lo, hi in AGE_BINS:
        out = out.when((age >= lo) & (age < hi), f"{lo}-{hi}")
    return out.when(age >= 95, "95+")


def write_user_bins(lh: Lakehouse, user_ids: set[int], deleted: set[int]) -> None:
    """SCD type 1: the bins of ``user_ids`` recomputed from their current profiles.

    Runs in user_profile's micro-batch, after its MERGE, for the users it
    touched: a profile's current row is what the newest-wins MERGE kept, so
    its bins follow from it alone. Rows only change when a value does, so
    gold, which reads user_bins' change feed, hears of real changes only.
    Replaying a batch rewrites nothing.

    The MERGE's source is a read of user_profile alone: Delta copies
    ("materializes") the source of any MERGE that updates when it holds
    anything but Delta scans (a list of ids joined in was ~1.5 s of a
    Kafka batch on 2 cores). So the users whose profile is gone are found
    apart: among ``deleted`` (those whose newest change in the batch is a
    delete, which the profile MERGE may have applied), the ones without a
    profile row lose their bins. A MERGE clause WHEN NOT MATCHED BY SOURCE
    would do it in one statement, but Delta then rewrites every file of the
    table (it cannot skip a file by the ON condition any more).
    """
    from pyspark.sql import functions as F

    if not user_ids:
        return
    spark = lh.spark
    profiles = spark.read.table(lh.table("user_profile"))
    current = profiles.where(prune.in_list("user_id", user_ids)).select(
        "user_id",
        age_bin(age_years(F.col("dob"), F.col("updated"))).alias("age"),
        "gender", "city", "state",
    )
    values = {c: f"s.{c}" for c in BIN_COLUMNS}
    differs = " OR ".join(f"NOT (t.{c} <=> s.{c})" for c in BIN_COLUMNS[1:])
    (
        merge.Merge(lh, "user_bins", current,
                    f"t.user_id = s.user_id AND {prune.in_list('t.user_id', user_ids)}")
        .when_matched_update(condition=differs, set=values)
        .when_not_matched_insert(values=values)
        .execute()
    )
    deleted = deleted & user_ids
    if deleted:
        kept = profiles.where(prune.in_list("user_id", deleted)).select("user_id").collect()
        gone = deleted - {r.user_id for r in kept}
        if gone:
            spark.sql(f"DELETE FROM {lh.table('user_bins')} WHERE {prune.in_list('user_id', gone)}")


BIN_COLUMNS = ("user_id", "age", "gender", "city", "state")


# The silver writers that follow from each bronze table's micro-batch, in order
# (``settings.STREAMS`` lists the tables each stream writes).
FOLLOWERS: dict[str, tuple[Follower, ...]] = {
    "registered_users_bz": (users,),
    "gym_logins_bz": (gym_logs,),
    "kafka_multiplex_bz": (heart_rate, workouts, user_profile),
}
