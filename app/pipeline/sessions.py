"""completed_workouts and workout_bpm: keys-of-change streams, no streaming state.

Both tables are joins whose inputs arrive in any order and at any delay: a
stop event hours after its start, a user who registers after working out, a
heart-rate reading landing after its session was written. Stream-stream
joins handle that with watermarks and state, which grows with history and is
poisoned by one implausible event time. Here instead each stream only says
*what changed*; each micro-batch maps those changes to the sessions they
affect and computes exactly those sessions from the Delta tables, reading
only the files the change can touch (``app.pipeline.prune``):

- completed_workouts (in the workouts batch): new workout events -> their
  (user, workout, session) keys -> the events of those keys within
  ``SESSION_MAX`` -> start/stop pairs.
- workout_bpm (with gold, ``app.pipeline.gold``): three change streams in one query:
  new readings (heart_rate) -> the sessions of their devices at those times;
  new sessions (completed_workouts) -> their readings;
  new users (users) -> their sessions -> their readings.
  One definition of "a session's readings" (``readings_in_sessions``) serves
  every path. Writes are insert-if-new MERGEs: a pair reached by two paths, or
  a replayed batch, is written once.

Why this is complete: a (reading, session, user) triple is produced by the
batch that delivers the last of the three to commit, because that batch reads
the other two from the tables, where they already are.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from app.pipeline import merge, prune, settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from app.platform.lakehouse import Lakehouse

SESSION_KEYS = ["user_id", "workout_id", "session_id"]
BPM_KEYS = [*SESSION_KEYS, "time"]
BPM_COLUMNS = ("user_id", "workout_id", "session_id", "start_time", "end_time", "time", "heartrate")


def session_max() -> timedelta:
    """``settings.SESSION_MAX`` ("3 hours") as a timedelta."""
    amount, unit = settings.SESSION_MAX.split()
    return timedelta(**{unit if unit.endswith("s") else unit + "s": float(amount)})


# --- completed_workouts ----------------------------------------------------------
def pair_sessions(events: DataFrame) -> DataFrame:
    """Start/stop pairs of one user, workout and session; stop within SESSION_MAX after start."""
    from pyspark.sql import functions as F

    starts = events.where("action = 'start'").select(
        *SESSION_KEYS, F.col("time").alias("start_time")
    )
    stops = events.where("action = 'stop'").select(*SESSION_KEYS, F.col("time").alias("end_time"))
    return starts.join(stops, SESSION_KEYS).where(
        F.expr(
            f"end_time > start_time AND end_time <= start_time + INTERVAL {settings.SESSION_MAX}"
        )
    )


def complete_workouts(lh: Lakehouse, changed: DataFrame) -> None:
    """Write the sessions the ``changed`` workout events complete (insert-if-new).

    ``changed``: workout events just written to workouts (cheap to read twice,
    e.g. persisted). Their (user, workout, session) keys are paired from the
    workouts table, read only within ``SESSION_MAX`` of the changed hours.
    """
    from pyspark.sql import functions as F

    spark = lh.spark
    facts = changed.select(*SESSION_KEYS, prune.bucket_of(F.col("time")).alias("b")).distinct()
    rows = facts.collect()
    if not rows:
        return
    hours = prune.ranges_of_buckets(r.b for r in rows)
    # The other event of a pair lies within SESSION_MAX of this one.
    window = prune.widen(hours, session_max(), session_max())
    keys = spark.createDataFrame(
        sorted({(r.user_id, r.workout_id, r.session_id) for r in rows}),
        "user_id BIGINT, workout_id INT, session_id INT",
    )
    events = (
        spark.read.table(lh.table("workouts"))
        .where(prune.in_ranges("time", window))
        .join(F.broadcast(keys), SESSION_KEYS, "left_semi")
    )
    pairs = pair_sessions(events).dropDuplicates(SESSION_KEYS).persist()
    try:
        if pairs.isEmpty():  # starts whose stop has not come yet: nothing to write
            return
        merge.insert_new(
            lh, "completed_workouts", pairs, SESSION_KEYS, "start_time",
            ranges=prune.widen(hours, session_max(), timedelta(0)),
        )
    finally:
        pairs.unpersist()


# --- workout_bpm -----------------------------------------------------------------
def readings_in_sessions(readings: DataFrame, sessions: DataFrame) -> DataFrame:
    """THE definition of a session's readings: valid readings of the user's device in (start, end].

    ``readings``: device_id, time, heartrate (valid ones); ``sessions``: the
    session keys with start_time, end_time and the user's device_id.
    """
    from pyspark.sql import functions as F

    r = readings.select(F.col("device_id").alias("r_device_id"), "time", "heartrate")
    return r.join(
        F.broadcast(sessions),
        F.expr("r_device_id = device_id AND time > start_time AND time <= end_time"),
    ).select(
        "user_id",
        "workout_id", "session_id", "start_time", "end_time", "time", "heartrate",
    )


def session_readings(lh: Lakehouse, spans: list[tuple[int, datetime, datetime]]) -> DataFrame:
    """Valid heart_rate rows of the spans' devices in the spans' hours, reading only their files.

    A superset of the (device_id, start, end) spans: ``readings_in_sessions``
    keeps the readings inside a session with a broadcast join. The predicate
    is only there for Delta's file skipping (by the hours: every file holds
    many devices), so it stays short; an exact OR of every span, evaluated on
    every row read, cost about a second per 100k readings.
    """
    hours = prune.ranges_of_buckets(_hours(spans))
    return (
        lh.spark.read.table(lh.table("heart_rate"))
        .where(f"valid AND {prune.in_list('device_id', {d for d, _, _ in spans})} "
               f"AND {prune.in_ranges('time', hours)}")
        .select("device_id", "time", "heartrate")
    )


def _hours(spans: list[tuple[int, datetime, datetime]]) -> set[int]:
    step = prune.BUCKET_SECONDS
    return {
        b for _, lo, hi in spans for b in range(int(lo.timestamp() // step),
                                                int(hi.timestamp() // step) + 1)
    }


def change_keys(lh: Lakehouse) -> DataFrame:
    """One stream of what changed: new readings, sessions and users, and changed user bins.

    The bins (kind ``bins``) only concern gold (``app.pipeline.gold``).
    """
    from pyspark.sql import functions as F

    spark = lh.spark
    readings = (
        spark.readStream.table(lh.table("heart_rate"))
        .where("valid")
        .select(F.lit("reading").alias("kind"), "device_id", "time")
    )
    sessions = spark.readStream.table(lh.table("completed_workouts")).select(
        F.lit("session").alias("kind"),
        "user_id", "workout_id", "session_id", F.col("start_time").alias("time"),
    )
    users = spark.readStream.table(lh.table("users")).select(
        F.lit("user").alias("kind"), "user_id", "device_id"
    )
    bins = (
        spark.readStream.option("readChangeFeed", "true")
        .table(lh.table("user_bins"))
        .select(F.lit("bins").alias("kind"), "user_id")
    )
    return (
        readings.unionByName(sessions, allowMissingColumns=True)
        .unionByName(users, allowMissingColumns=True)
        .unionByName(bins, allowMissingColumns=True)
    )


def affected_sessions(lh: Lakehouse, facts: list) -> DataFrame | None:  # type: ignore[type-arg]
    """The sessions (with device_id) a batch's changes affect, from the tables; None if none.

    ``facts``: distinct (kind, device_id, user_id, workout_id, session_id, b)
    rows of the batch, ``b`` the hour of a reading or of a session's start.
    """

    spark = lh.spark
    reading_hours: dict[int, set[int]] = {}
    session_hours: dict[int, set[int]] = {}
    new_users: set[int] = set()
    for f in facts:
        if f.kind == "reading":
            reading_hours.setdefault(f.device_id, set()).add(f.b)
        elif f.kind == "session":
            session_hours.setdefault(f.user_id, set()).add(f.b)
        elif f.kind == "user":
            new_users.add(f.user_id)
    clauses = []
    involved = set(session_hours) | new_users
    all_hours: set[int] = set()
    if reading_hours:
        # New readings -> the sessions of their devices' users overlapping those hours.
        owners = spark.read.table(lh.table("users")).where(
            prune.in_list("device_id", reading_hours)
        ).select("user_id", "device_id").collect()
        for owner in owners:
            involved.add(owner.user_id)
            buckets = reading_hours[owner.device_id]
            all_hours |= buckets
            clauses.append(
                f"(user_id = {owner.user_id} AND "
                f"{prune.overlaps('start_time', 'end_time', prune.ranges_of_buckets(buckets))})"
            )
    for user, buckets in session_hours.items():  # new sessions
        all_hours |= buckets
        clauses.append(
            f"(user_id = {user} AND "
            f"{prune.in_ranges('start_time', prune.ranges_of_buckets(buckets))})"
        )
    if len(clauses) > prune.MAX_TERMS:  # a big batch: one coarser predicate
        clauses = [
            f"({prune.in_list('user_id', involved - new_users)} AND "
            f"{prune.overlaps('start_time', 'end_time', prune.ranges_of_buckets(all_hours))})"
        ]
    if new_users:  # every session of a user who just registered
        clauses.append(prune.in_list("user_id", new_users))
    if not clauses:
        return None
    sessions = (
        spark.read.table(lh.table("completed_workouts"))
        .where(" OR ".join(clauses))
        .select("user_id", "workout_id", "session_id", "start_time", "end_time")
    )
    devices = (
        spark.read.table(lh.table("users"))
        .where(prune.in_list("user_id", involved))
        .select("user_id", "device_id")
    )
    return sessions.join(devices, "user_id").dropDuplicates(SESSION_KEYS)


def facts_of(batch: DataFrame) -> list:  # type: ignore[type-arg]
    """The distinct (kind, device_id, user_id, workout_id, session_id, hour) of a change batch."""
    from pyspark.sql import functions as F

    return (
        batch.select("kind", "device_id", "user_id", "workout_id", "session_id",
                     prune.bucket_of(F.col("time")).alias("b"))
        .distinct()
        .collect()
    )


class SessionReadings(NamedTuple):
    """What ``write_workout_bpm`` recomputed: every reading of the affected sessions."""

    rows: DataFrame  # persisted: the caller unpersists it
    inserted: int | None  # new workout_bpm rows (None when Delta does not say)
    user_ids: set[int]  # the users of those sessions


# The affected sessions as collected: times as microseconds since the epoch, so
# the local relation holds exactly the stored instants (a Python datetime is
# naive local time, ambiguous in a daylight-saving fall-back hour).
SESSION_ROW = (
    "user_id BIGINT, workout_id INT, session_id INT, start_us BIGINT, end_us BIGINT, "
    "device_id BIGINT"
)


def write_workout_bpm(lh: Lakehouse, facts: list) -> SessionReadings | None:  # type: ignore[type-arg]
    """Recompute the sessions ``facts`` affect; insert their new workout_bpm rows.

    Returns every reading of those sessions, or None when the changes affect
    no session. The sessions are collected (a few rows per batch) and join the
    readings as a local relation: had the readings depended on a persisted
    sessions DataFrame, unpersisting it would have dropped the readings' cache
    too (Spark re-caches the plans that depend on an uncached one), and gold
    would have re-read heart_rate twice (about a third of the gold batch).
    """
    affected = affected_sessions(lh, facts)
    if affected is None:
        return None
    from pyspark.sql import functions as F

    found = affected.select(
        *SESSION_KEYS, "start_time", "end_time", "device_id",
        F.unix_micros("start_time").alias("start_us"), F.unix_micros("end_time").alias("end_us"),
    ).collect()
    if not found:
        return None  # readings outside any completed session (yet)
    sessions = lh.spark.createDataFrame(
        [(r.user_id, r.workout_id, r.session_id, r.start_us, r.end_us, r.device_id)
         for r in found],
        SESSION_ROW,
    ).select(
        *SESSION_KEYS, "device_id",
        F.timestamp_micros("start_us").alias("start_time"),
        F.timestamp_micros("end_us").alias("end_time"),
    )
    spans = [(r.device_id, r.start_time, r.end_time) for r in found]  # for file skipping only
    rows = (
        readings_in_sessions(session_readings(lh, spans), sessions)
        .dropDuplicates(BPM_KEYS)
        .persist()
    )
    try:
        inserted = merge.insert_new(
            lh, "workout_bpm", rows, BPM_KEYS, "time",
            ranges=prune.ranges_of_buckets(_hours(spans)),
        )
    except BaseException:  # a stop mid-batch: the caller only releases what it got
        rows.unpersist()
        raise
    return SessionReadings(rows, inserted, {int(r.user_id) for r in found})

