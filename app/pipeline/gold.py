"""Gold: workout_bpm_summary, exactly one row per completed session with readings.

Written in the same micro-batch as workout_bpm (``app.pipeline.sessions``),
by the stream ``workout_bpm_and_summary``. Not a streaming aggregation (in
append mode behind a watermark, the last sessions of a run would never
appear: nothing later moves the watermark past them). Each micro-batch only
says what changed, and pays for that alone:

- sessions the batch recomputed for workout_bpm: that recomputation holds
  every reading of each session, so their summary rows are aggregated from it
  (nothing is read back), joined with the user's bins and MERGEd (update or
  insert). A session gets its row in the batch its readings arrive; late
  readings correct it.
- users whose bins changed (the user_bins change feed, one of the stream's
  sources): their summary rows get the new age, gender, city and state
  without re-aggregating any reading (read back from gold by user id, and
  MERGEd with the recomputed sessions when the batch has some, else a MERGE
  on user_id alone); a deleted profile leaves NULL attributes. One query
  does both, one batch after another, so a
  bins change committed after a batch read user_bins reaches the rows that
  batch wrote in the next batch.
Replaying a batch rewrites the same values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.pipeline import handoff, merge, prune, sessions
from app.pipeline.streaming import BatchFunction, Trigger, start

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse

KEYS = ["user_id", "workout_id", "session_id"]
BINS = ("age", "gender", "city", "state")
SUMMARY_COLUMNS = (
    "workout_id",
    "session_id",
    "user_id",
    *BINS,
    "min_bpm",
    "avg_bpm",
    "max_bpm",
    "num_recordings",
)


def summarize(readings: DataFrame, bins: DataFrame) -> DataFrame:
    """Summary rows from every reading of some sessions (workout_bpm columns) and users' bins."""
    from pyspark.sql import functions as F

    stats = (
        readings.groupBy(*KEYS)
        .agg(
            F.min("heartrate").alias("min_bpm"),
            F.avg("heartrate").alias("avg_bpm"),
            F.max("heartrate").alias("max_bpm"),
            F.count("heartrate").alias("num_recordings"),
        )
    )
    return stats.join(F.broadcast(bins), "user_id", "left").select(*SUMMARY_COLUMNS)


def user_bins(lh: Lakehouse, user_ids: set[int]) -> DataFrame:
    """The current bins of ``user_ids`` (one row per user, NULLs when the user has none)."""
    from pyspark.sql import functions as F

    bins = (
        lh.spark.read.table(lh.table("user_bins"))
        .where(prune.in_list("user_id", user_ids))
        .select("user_id", *BINS)
    )
    ids = lh.spark.createDataFrame([(u,) for u in sorted(user_ids)], "user_id BIGINT")
    return ids.join(F.broadcast(bins), "user_id", "left")


def update_bins(lh: Lakehouse, user_ids: set[int]) -> None:
    """The users' summary rows get their current bins (no reading is re-aggregated)."""
    merge.Merge(
        lh, "workout_bpm_summary", user_bins(lh, user_ids),
        f"t.user_id = s.user_id AND {prune.in_list('t.user_id', user_ids)}",
    ).when_matched_update(set={c: f"s.{c}" for c in BINS}).execute()


def upsert_sessions(
    lh: Lakehouse, readings: DataFrame, user_ids: set[int], rebin: set[int] | None = None
) -> None:
    """Summary rows of the sessions ``readings`` holds every reading of (update or insert).

    ``user_ids``: the users of those sessions (a superset of the readings' users).
    ``rebin``: users whose bins changed; their other stored rows get the current
    bins in the same MERGE (what ``update_bins`` does alone), so a batch with
    both kinds of change commits gold once. Those rows are read back from gold
    by user id (data skipping), never re-aggregated from readings.
    """
    from pyspark.sql import functions as F

    rebin = rebin or set()
    users = user_ids | rebin
    if not users:
        return
    bins = user_bins(lh, users)
    rows = summarize(readings, bins)
    if rebin:
        stored = (
            lh.spark.read.table(lh.table("workout_bpm_summary"))
            .where(prune.in_list("user_id", rebin))
            .drop(*BINS)
            .join(rows.select(*KEYS), KEYS, "left_anti")  # recomputed just now: theirs wins
        )
        rows = rows.unionByName(
            stored.join(F.broadcast(bins), "user_id", "left").select(*SUMMARY_COLUMNS)
        )
    (
        merge.Merge(lh, "workout_bpm_summary", rows,
                    f"{merge.on(KEYS)} AND {prune.in_list('t.user_id', users)}")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )


def make_upsert(lh: Lakehouse) -> BatchFunction:
    """workout_bpm, then gold, for one batch of changes (``sessions.change_keys``)."""

    # A summary only changes when its session's workout_bpm rows do: a batch that
    # inserted none (say, readings of a device in hours that overlap sessions
    # already complete) leaves gold alone. Except the first batch of a run: it
    # may replay a batch whose workout_bpm write committed and whose gold write
    # did not (the process died between the two; tests/pipeline/test_run.py).
    first_of_run = [True]

    def upsert(batch: DataFrame, batch_id: int) -> None:
        # One gold batch per bronze batch under load, and complete results
        # when a batch starts on the first of bronze's commits (app.pipeline.handoff).
        # Looked up here, not captured: over Spark Connect this function is
        # pickled, and a lock cannot be.
        bronze = handoff.of(lh.database)
        bronze.before_gold()
        facts = sessions.facts_of(batch)
        changed_bins = {f.user_id for f in facts if f.kind == "bins"}
        recomputed = sessions.write_workout_bpm(lh, facts)
        rebinned = False
        if recomputed is not None:
            try:
                if recomputed.inserted != 0 or first_of_run[0]:
                    upsert_sessions(lh, recomputed.rows, recomputed.user_ids, changed_bins)
                    rebinned = True
            finally:
                recomputed.rows.unpersist()
        if changed_bins and not rebinned:
            update_bins(lh, changed_bins)
        first_of_run[0] = False
        bronze.after_gold()

    return upsert


STREAM = "workout_bpm_and_summary"


def start_stream(lh: Lakehouse, stream: str, trigger: Trigger) -> StreamingQuery:
    if stream != STREAM:
        raise ValueError(f"no stream {stream!r} writes gold")
    return start(lh, stream, sessions.change_keys(lh), make_upsert(lh), trigger, "gold")
