"""The pipeline's configuration in one place: table names, landing folders, options, triggers.

Runtime parameters (environment, run type, processing time) arrive as the
three notebook widgets did, as the job entry point's arguments
(``python -m app.pipeline``) over ``LakehouseConfig``; everything else a data
engineer would tune lives here as named constants.
"""

from __future__ import annotations

# --- tables, by layer --------------------------------------------------------
BRONZE = ("registered_users_bz", "gym_logins_bz", "kafka_multiplex_bz")
SILVER = (
    "users",
    "gym_logs",
    "user_profile",
    "heart_rate",
    "workouts",
    "completed_workouts",
    "workout_bpm",
    "user_bins",
)
GOLD = ("workout_bpm_summary",)
HISTORY = ("date_lookup",)
QUARANTINE = "quarantine"
VIEWS = ("gym_summary",)
TABLES = (*BRONZE, QUARANTINE, *HISTORY, *SILVER, *GOLD)

# --- landing zone (relative to the data_zone external location) --------------
LANDING = {
    "registered_users_bz": "raw/registered_users_bz",
    "gym_logins_bz": "raw/gym_logins_bz",
    "kafka_multiplex_bz": "raw/kafka_multiplex_bz",
}
LANDING_FORMAT = {
    "registered_users_bz": "csv",
    "gym_logins_bz": "csv",
    "kafka_multiplex_bz": "json",
}
HISTORY_FOLDER = "test_data"

# --- Kafka topics of the multiplexed stream -----------------------------------
TOPICS = ("user_info", "workout", "bpm")
# A record timestamp at or above this is milliseconds (1e11 s is the year 5138,
# 1e11 ms is 1973): Kafka writes ms, some exports carry seconds.
MILLIS_THRESHOLD = 100_000_000_000

# --- streaming ---------------------------------------------------------------
MAX_FILES_PER_TRIGGER = 1000
# A workout stop must come within this long of its start (docs/domain.md#workout-sessions).
SESSION_MAX = "3 hours"

# --- streams: one query each, writing one table or a table and what follows from it ---
# A table that only follows from another table's changes is written in the same
# micro-batch as that table: bronze's one query reads every landing folder and
# writes, besides the three bronze tables, the silver tables that follow from
# landed records alone (users after the registrations, gym_logs after the
# logins, heart_rate, workouts and user_profile after the Kafka records),
# user_bins after user_profile, completed_workouts after workouts; gold's query
# writes workout_bpm, then the summary. On 2 cores every query costs a trigger,
# a plan, a source read and Delta commits per batch, and every hop between
# queries adds a trigger's wait to the landed-to-gold latency. Each stream's
# checkpoint is ``checkpoints/<stream>``.
BRONZE_STREAM = "bronze"
# What bronze's batches write, by the landing folder (bronze table) each follows from.
FOLLOWS: dict[str, str] = {
    "registered_users_bz": "registered_users_bz",
    "users": "registered_users_bz",
    "gym_logins_bz": "gym_logins_bz",
    "gym_logs": "gym_logins_bz",
    "kafka_multiplex_bz": "kafka_multiplex_bz",
    "heart_rate": "kafka_multiplex_bz",
    "workouts": "kafka_multiplex_bz",
    "completed_workouts": "kafka_multiplex_bz",
    "user_profile": "kafka_multiplex_bz",
    "user_bins": "kafka_multiplex_bz",
}
GOLD_STREAM = "workout_bpm_and_summary"
STREAMS: dict[str, tuple[str, ...]] = {
    BRONZE_STREAM: tuple(FOLLOWS),
    # Named apart from its first table: its sources differ from the separate
    # workout_bpm stream of earlier versions, whose checkpoint cannot resume it.
    GOLD_STREAM: ("workout_bpm", "workout_bpm_summary"),
}
# The landing folders (bronze tables) each bronze stream reads.
BRONZE_STREAMS: dict[str, tuple[str, ...]] = {BRONZE_STREAM: BRONZE}
# Up to this version each landing folder had a bronze stream of its own, named
# after its bronze table; an environment that ran them keeps them
# (app/pipeline/layout.py).
LEGACY_STREAMS: dict[str, tuple[str, ...]] = {
    **{b: tuple(t for t, f in FOLLOWS.items() if f == b) for b in BRONZE},
    GOLD_STREAM: STREAMS[GOLD_STREAM],
}
# The stream that writes each table.
STREAM_OF: dict[str, str] = {t: s for s, tables in STREAMS.items() for t in tables}
# Run once: stage after stage; inside a stage the streams run side by side, and a
# stage only reads tables that earlier stages have finished writing.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bronze+silver", (BRONZE_STREAM,)),
    ("silver+gold", (GOLD_STREAM,)),
)
# Streams of earlier versions whose tables a bronze stream now writes: each read
# a bronze table as a Delta stream. An environment that ran them may hold bronze
# rows they had not read yet; ``app.pipeline.retired`` reads those once
# (available-now, from the same checkpoint) before the streams start.
RETIRED_STREAMS: dict[str, str] = {
    "users": "registered_users_bz",
    "gym_logs": "gym_logins_bz",
    "user_profile": "kafka_multiplex_bz",
    "heart_rate": "kafka_multiplex_bz",
    "workouts": "kafka_multiplex_bz",
}

# Tables whose changes downstream streams read as a change feed (they are
# updated in place by MERGE, so a plain Delta stream would see rewrites).
CHANGE_FEED = ("user_profile", "user_bins")
# Delta table properties per table (beyond the change feed), applied by the DDL setup.
# Auto compaction on every table: each micro-batch commits a few small files, and
# without compaction their number (so every snapshot, MERGE and stream listing)
# would grow with history. Compaction commits carry dataChange=false, which
# Delta streaming sources and change feeds skip.
AUTO_COMPACT = {"delta.autoOptimize.autoCompact": "true"}
TABLE_PROPERTIES: dict[str, dict[str, str]] = {t: dict(AUTO_COMPACT) for t in TABLES}
# File statistics only where something reads by them. By default Delta keeps
# min/max of the first 32 columns, the raw JSON `value` and quarantine's `raw`
# included: computing those for long strings was about a third of a bronze
# write, and nothing prunes on them (silver reads bronze as a stream).
# heart_rate and workout_bpm take a set's readings, the most rows written after
# bronze, and Delta's statistics of each row were 9% of the JVM's CPU samples
# in a batch test (JFR: DeltaTaskStatisticsTracker, interpreted outside
# bronze, app/platform/codegen.py). Their reads prune by these columns only:
# heart_rate by device and time (sessions.session_readings) and by time
# (its insert-if-new MERGE), workout_bpm by time (its MERGE).
STATS_COLUMNS = {
    "kafka_multiplex_bz": "`partition`,`offset`,`timestamp`,date,load_time",
    QUARANTINE: "load_time",
    "heart_rate": "device_id,time",
    "workout_bpm": "time",
}
for _table, _columns in STATS_COLUMNS.items():
    TABLE_PROPERTIES[_table]["delta.dataSkippingStatsColumns"] = _columns
# Optimized writes where a batch spans partitions: each task of a bronze Kafka
# batch wrote its own file into every (topic, week_part) it held, and auto
# compaction then rewrote them in a second commit, one more table version for
# the three streams reading bronze. With the shuffle by partition before the
# write, a batch commits one file per partition (bins of up to 512 MB) and
# nothing is left to compact. Measured back to back, once mode: the bronze
# stage 4.5 -> 3.4 s per set of scale 0.1, 6.7 -> 5.7 s at scale 1.
OPTIMIZE_WRITE = {"delta.autoOptimize.optimizeWrite": "true"}
TABLE_PROPERTIES["kafka_multiplex_bz"].update(OPTIMIZE_WRITE)


def table_properties(name: str) -> dict[str, str] | None:
    """Every Delta property the DDL setup gives ``name`` (None when it has none)."""
    props = dict(TABLE_PROPERTIES.get(name, {}))
    if name in CHANGE_FEED:
        props["delta.enableChangeDataFeed"] = "true"
    return props or None


# --- plausibility and limits (bronze) ---
# The window itself and the size limit are environment settings of
# LakehouseConfig (LAKEHOUSE_EVENT_TIME_MIN, LAKEHOUSE_EVENT_TIME_MAX_AHEAD_SECONDS,
# LAKEHOUSE_MAX_RECORD_BYTES); app/pipeline/landing.py applies them.
# An oversize record's raw text in quarantine is cut to this many characters.
QUARANTINE_RAW_CHARS = 65_536
# Longest field value quoted in a quarantine reason (the raw column has it all).
REASON_VALUE_CHARS = 120
WORKOUT_ACTIONS = ("start", "stop")
UPDATE_TYPES = ("new", "update", "delete")
DOB_FORMAT = "MM/dd/yyyy"
# Files and bytes per bronze micro-batch. A batch costs a fixed ~1 s (listing,
# planning, Delta commit) plus its records, so bigger batches sustain more
# records/s; these bound one batch's memory and latency instead.
BRONZE_MAX_FILES_PER_TRIGGER = 1000
BRONZE_MAX_BYTES_PER_TRIGGER = "512m"
