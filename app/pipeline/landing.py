"""Landed lines -> typed records, each parsed once and judged once: bronze or quarantine.

Bronze reads every landing folder as text, one row per physical line, so
every line is accounted for: it is blank (skipped), a CSV header (skipped),
a record for bronze, or a record for quarantine. Spark's JSON and CSV readers
can drop a line without a trace, which is how records vanished before: Jackson
stops at the end of the first JSON value, so a line holding two records run
together (a lost newline, a concatenated export) loads as the first record
alone; a line ``[]`` yields no row; a line ``[{..},{..}]`` yields two; and the
CSV reader takes a file's first line as its header whatever it holds.

Each line is parsed once with ``from_json``/``from_csv`` (PERMISSIVE, with a
corrupt-record column), a Kafka ``value`` once with its own topic's schema,
and the verdict ``_ok`` is one boolean per line. A good record:

- is valid UTF-8 (a UTF-8 byte-order mark is dropped first) and at most
  ``max_record_bytes`` long (longer lines are never parsed);
- parses to exactly one JSON object (checked by parsing ``[line]`` as an array
  of length 1, and ``{"r": line}`` when the line holds a ``]``: text after the
  first object cannot pass both), or to exactly the CSV's fields;
- has every required field, every field of its declared type, known topics
  and enumerations (workout ``action``, profile ``update_type``), a ``dob``
  in ``MM/dd/yyyy``, a finite ``heartrate``;
- has every event time inside the plausibility window: from ``event_time_min``
  to ``event_time_max_ahead_seconds`` after its file landed (the file's
  modification time, not the clock, so a replayed micro-batch judges every
  line exactly as the first attempt did). Kafka timestamps are checked as
  milliseconds or seconds before any cast, so a value that fits no BIGINT,
  NaN or Infinity is quarantined instead of failing the stream.

Silver parses ``value`` again with the same ``VALUE_SCHEMAS`` and
``from_json``; because bronze checked exactly that parse, no record silver
reads can fail a cast or carry an implausible time into a watermark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from app.pipeline import settings
from app.pipeline.schemas import LANDING_SCHEMAS, REQUIRED, VALUE_REQUIRED, VALUE_SCHEMAS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from app.platform.config import LakehouseConfig

# Internal columns of a checked micro-batch (landing fields never start with "_").
LINE = "_line"  # the landed line, byte-order mark dropped
FILE_TIME = "_file_time"  # when the line's file landed (its modification time)
FITS = "_fits"  # valid UTF-8 and not oversize: only such lines are parsed
REC = "_rec"  # the parsed landing fields (struct), NULL when not parsed
SINGLE = "_single"  # JSON: the line is exactly one JSON object
OK = "_ok"  # the verdict: True -> bronze, False -> quarantine
CORRUPT = "_corrupt"
PARSE_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}


def value_column(topic: str) -> str:
    """The column holding a Kafka value parsed with ``topic``'s schema (NULL for other topics)."""
    return f"_v_{topic}"


def value_single_column() -> str:
    return "_v_single"


@dataclass(frozen=True)
class Limits:
    """The plausibility window and size limit a landed record must respect."""

    min_time: datetime
    max_ahead_seconds: int
    max_record_bytes: int
    raw_chars: int = settings.QUARANTINE_RAW_CHARS

    @classmethod
    def from_config(cls, config: LakehouseConfig) -> Limits:
        return cls(
            min_time=parse_time(config.event_time_min),
            max_ahead_seconds=config.event_time_max_ahead_seconds,
            max_record_bytes=config.max_record_bytes,
        )

    @property
    def min_seconds(self) -> float:
        return self.min_time.timestamp()

    def min_text(self) -> str:
        return self.min_time.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An ISO date or date-time (UTC unless it names an offset)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- lines ---------------------------------------------------------------------
def lines(batch: DataFrame) -> DataFrame:
    """The text reader's rows as lines: byte-order mark dropped, blank lines skipped.

    ``batch`` has the text reader's ``value`` plus ``source_file`` and ``_file_time``.
    """
    from pyspark.sql import functions as F

    raw = F.col("value")
    line = F.when(raw.startswith("\ufeff"), F.expr("substring(value, 2)")).otherwise(raw)
    out = batch.select(line.alias(LINE), "source_file", FILE_TIME)
    # Blank: only whitespace (exports end with blank lines). A long run of
    # whitespace is no record either, but it costs a regex on every line to
    # say so: it goes to quarantine as an invalid record instead.
    blank = F.when(F.length(LINE) <= 64, F.col(LINE).rlike(r"^\s*$")).otherwise(F.lit(False))
    return out.where(~blank)


def _fits(limits: Limits) -> Column:
    from pyspark.sql import functions as F

    return F.is_valid_utf8(LINE) & (F.octet_length(LINE) <= limits.max_record_bytes)


# --- the plausibility window -----------------------------------------------------
def _latest_seconds(limits: Limits) -> Column:
    from pyspark.sql import functions as F

    return F.unix_micros(FILE_TIME) / 1e6 + limits.max_ahead_seconds


def latest_time(limits: Limits) -> Column:
    """The newest plausible event time of a line: its file's landing time + the allowance."""
    from pyspark.sql import functions as F

    return F.col(FILE_TIME) + F.expr(f"INTERVAL {limits.max_ahead_seconds} SECONDS")


def epoch_ok(x: Column, limits: Limits) -> Column:
    """Epoch seconds (DOUBLE) inside the window: finite, never cast before this test."""
    from pyspark.sql import functions as F

    return ~F.isnan(x) & (x >= limits.min_seconds) & (x <= _latest_seconds(limits))


def kafka_timestamp_ok(ts: Column, limits: Limits) -> Column:
    """A Kafka record timestamp (milliseconds or seconds, as DOUBLE) inside the window."""
    from pyspark.sql import functions as F

    return F.when(ts >= settings.MILLIS_THRESHOLD, epoch_ok(ts / 1000.0, limits)).otherwise(
        epoch_ok(ts, limits)
    )


def timestamp_ok(t: Column, limits: Limits) -> Column:
    from pyspark.sql import functions as F

    return (t >= F.lit(limits.min_time)) & (t <= latest_time(limits))


def finite(x: Column) -> Column:
    from pyspark.sql import functions as F

    return ~F.isnan(x) & (F.abs(x) != F.lit(float("inf")))


def _all(conditions: list[Column]) -> Column:
    from pyspark.sql import functions as F

    out = conditions[0]
    for c in conditions[1:]:
        out = out & c
    # NULL (a field absent) is a failed check, never a pass.
    return F.coalesce(out, F.lit(False))


# --- JSON ------------------------------------------------------------------------
def single_json_object(text: Column) -> Column:
    """``text`` is exactly one JSON value followed by nothing but whitespace.

    Jackson stops after the first value, so ``[text]`` parses as an array of
    length 1 exactly when nothing follows that value, unless what follows
    starts with ``]``; then ``{"r": text}`` fails to parse. Together they
    accept no trailing text (``]`` and ``}`` cannot both come first). The
    second parse only runs for the rare lines holding a ``]``.
    """
    from pyspark.sql import functions as F

    as_array = F.json_array_length(F.concat(F.lit("["), text, F.lit("]"))) == 1
    in_object = F.json_object_keys(F.concat(F.lit('{"r":'), text, F.lit("}"))).isNotNull()
    # json_array_length is NULL for text that is no JSON at all: that is a no.
    return F.coalesce(
        as_array & F.when(F.instr(text, "]") == 0, F.lit(True)).otherwise(in_object),
        F.lit(False),
    )


def _required(struct: Column, names: tuple[str, ...] | list[str]) -> list[Column]:
    return [struct[n].isNotNull() for n in names]


def value_ok(topic: str, v: Column, limits: Limits) -> Column:
    """A Kafka value parsed with its topic's schema is a good document."""
    from pyspark.sql import functions as F

    checks = [v[CORRUPT].isNull(), *_required(v, VALUE_REQUIRED[topic])]
    if topic == "bpm":
        checks += [timestamp_ok(v["time"], limits), finite(v["heartrate"])]
    elif topic == "workout":
        checks += [v["action"].isin(*settings.WORKOUT_ACTIONS), epoch_ok(v["timestamp"], limits)]
    elif topic == "user_info":
        checks += [
            v["update_type"].isin(*settings.UPDATE_TYPES),
            epoch_ok(v["timestamp"], limits),
            v["dob"].isNull() | F.try_to_date(v["dob"], settings.DOB_FORMAT).isNotNull(),
        ]
    return _all(checks)


def kafka(batch: DataFrame, limits: Limits) -> DataFrame:
    """Lines of the Kafka multiplex, parsed once, values once, with the verdict ``_ok``."""
    from pyspark.sql import functions as F

    table = "kafka_multiplex_bz"
    ddl = f"{LANDING_SCHEMAS[table]}, {CORRUPT} STRING"
    fits = lines(batch).withColumn(FITS, _fits(limits))
    parsed = fits.select(
        "*",
        F.when(F.col(FITS), F.from_json(LINE, ddl, PARSE_OPTIONS)).alias(REC),
        F.when(F.col(FITS), single_json_object(F.col(LINE))).alias(SINGLE),
    )
    rec = F.col(REC)
    outer_parsed = rec[CORRUPT].isNull() & F.col(SINGLE)
    values = parsed.select(
        "*",
        *(
            F.when(
                outer_parsed & (rec["topic"] == topic),
                F.from_json(rec["value"], f"{VALUE_SCHEMAS[topic]}, {CORRUPT} STRING",
                            PARSE_OPTIONS),
            ).alias(value_column(topic))
            for topic in settings.TOPICS
        ),
        F.when(outer_parsed & rec["topic"].isin(*settings.TOPICS),
               single_json_object(rec["value"])).alias(value_single_column()),
    )
    by_topic = F.when(F.lit(False), F.lit(False))
    for topic in settings.TOPICS:
        by_topic = by_topic.when(
            rec["topic"] == topic, value_ok(topic, F.col(value_column(topic)), limits)
        )
    verdict = _all([
        F.col(FITS),
        outer_parsed,
        *_required(rec, REQUIRED[table]),
        kafka_timestamp_ok(rec["timestamp"], limits),
        F.col(value_single_column()),
        by_topic.otherwise(F.lit(False)),
    ])
    return values.withColumn(OK, verdict)


# --- CSV -------------------------------------------------------------------------
def field_names(table: str) -> list[str]:
    return [c.split(" ")[0].strip("`") for c in LANDING_SCHEMAS[table].split(", ")]


def csv_header(table: str) -> str:
    return ",".join(field_names(table))


def field_count(line: Column) -> Column:
    """Fields of a CSV line, counted by its commas (docs/domain.md: CSV values hold no commas)."""
    from pyspark.sql import functions as F

    return F.length(line) - F.length(F.replace(line, F.lit(","), F.lit(""))) + 1


EPOCH_FIELDS = {
    "registered_users_bz": ("registration_timestamp",),
    "gym_logins_bz": ("login", "logout"),
}


def csv(batch: DataFrame, table: str, limits: Limits) -> DataFrame:
    """Lines of a CSV landing folder (headers skipped), parsed once, with the verdict ``_ok``."""
    from pyspark.sql import functions as F

    names = field_names(table)
    # A header is recognised by what it says, wherever it is: a file without
    # one loses no record, and a header repeated mid-file is no record.
    spelled = F.lower(F.regexp_replace(F.col(LINE), r'[\s"]', ""))
    body = lines(batch).where(spelled != csv_header(table))
    fits = body.withColumn(FITS, _fits(limits) & (field_count(F.col(LINE)) == len(names)))
    ddl = f"{LANDING_SCHEMAS[table]}, {CORRUPT} STRING"
    parsed = fits.withColumn(
        REC, F.when(F.col(FITS), F.from_csv(F.col(LINE), ddl, PARSE_OPTIONS))
    )
    rec = F.col(REC)
    checks = [F.col(FITS), rec[CORRUPT].isNull(), *_required(rec, REQUIRED[table])]
    checks += [rec[f].isNull() | epoch_ok(rec[f], limits) for f in EPOCH_FIELDS[table]]
    return parsed.withColumn(OK, _all(checks))


def check(table: str, batch: DataFrame, limits: Limits) -> DataFrame:
    """A micro-batch of landed lines with ``_rec`` (the parsed fields) and the verdict ``_ok``."""
    if settings.LANDING_FORMAT[table] == "csv":
        return csv(batch, table, limits)
    return kafka(batch, limits)


def record_columns(table: str) -> list[Column]:
    """The landing fields of a checked record, by name."""
    from pyspark.sql import functions as F

    return [F.col(REC)[name].alias(name) for name in field_names(table)]
