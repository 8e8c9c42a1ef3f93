"""Malformed records: a reason that names the file, record and field, and the quarantine table.

``landing.check`` gives every landed line its verdict; the lines judged bad
come here. Their reason is worked out only for them (a second, string-typed
parse shows each offending value as it was written), so the cost of a
detailed reason is never paid by good records. Quarantine rows carry the
target table, source file, raw text (an oversize record cut to
``settings.QUARANTINE_RAW_CHARS`` characters, its original size in the
reason; invalid UTF-8 bytes replaced by U+FFFD) and the reason, prefixed
with the file's name. They never stop a stream and never reach bronze.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.pipeline import landing, settings
from app.pipeline.landing import CORRUPT, FITS, LINE, PARSE_OPTIONS, REC, SINGLE, Limits
from app.pipeline.schemas import LANDING_SCHEMAS, REQUIRED, VALUE_REQUIRED, VALUE_SCHEMAS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from app.platform.lakehouse import Lakehouse

Check = tuple["Column", "Column | str"]
ISO = "yyyy-MM-dd'T'HH:mm:ss'Z'"


def fields_of(ddl: str) -> list[tuple[str, str]]:
    """(name, SQL type) of each top-level field of a DDL schema."""
    from pyspark.sql.types import StructType

    schema = StructType.fromDDL(ddl)
    assert isinstance(schema, StructType)
    return [(f.name, f.dataType.simpleString().upper()) for f in schema.fields]


def _strings_ddl(fields: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"`{name}` STRING" for name, _ in fields) + f", {CORRUPT} STRING"


def _first(checks: list[Check]) -> Column:
    """The message of the first check that holds (a CASE: later checks are not evaluated)."""
    from pyspark.sql import functions as F

    out = None
    for cond, value in checks:
        value_col = value if not isinstance(value, str) else F.lit(value)
        out = F.when(cond, value_col) if out is None else out.when(cond, value_col)
    assert out is not None
    # Every bad line gets a reason, even one no check above names.
    return out.otherwise(F.lit("record failed a bronze check"))


def _shown(text: Column) -> Column:
    """A field's text as written, cut short (NaN and Infinity come back quoted: unquoted)."""
    from pyspark.sql import functions as F

    unquoted = F.regexp_replace(text, r'^"(.*)"$', "$1")
    return F.substring(unquoted, 1, settings.REASON_VALUE_CHARS)


def _mismatch(name: str, typ: str, typed: Column, text: Column, where: Column | str = "") -> Check:
    from pyspark.sql import functions as F

    cond = typed.isNull() & text.isNotNull() & (F.trim(text) != "")
    return cond, _msg(where, F.format_string(f"field '{name}' value '%s' is not a {typ}",
                                            _shown(text)))


def _msg(where: Column | str, text: Column | str) -> Column:
    from pyspark.sql import functions as F

    parts = [w if not isinstance(w, str) else F.lit(w) for w in (where, text)]
    return F.concat(*parts)


def _window_text(limits: Limits) -> Column:
    from pyspark.sql import functions as F

    return F.concat(
        F.lit(f"outside the plausible window {limits.min_text()} .. "),
        F.date_format(landing.latest_time(limits), ISO),
        F.lit(f" (file landed + {limits.max_ahead_seconds} s)"),
    )


def _time_checks(
    name: str, number: Column | None, text: Column, ok: Column, limits: Limits,
    where: Column | str = "", unit: Column | str = "",
) -> list[Check]:
    """Not finite, then outside the window: the message quotes the value as written."""
    from pyspark.sql import functions as F

    quoted = F.format_string(f"field '{name}' value '%s' ", _shown(text))
    checks: list[Check] = []
    if number is not None:
        checks.append((
            F.isnan(number) | (F.abs(number) == F.lit(float("inf"))),
            _msg(where, F.concat(quoted, F.lit("is not a finite number"))),
        ))
    unit_col = unit if not isinstance(unit, str) else F.lit(unit)
    outside = F.concat(quoted, unit_col, F.lit("is "), _window_text(limits))
    checks.append((~ok, _msg(where, outside)))
    return checks


def _door_checks(limits: Limits) -> list[Check]:
    from pyspark.sql import functions as F

    return [
        (~F.is_valid_utf8(LINE), "record is not valid UTF-8 text"),
        (
            F.octet_length(LINE) > limits.max_record_bytes,
            F.format_string(
                f"record is %d bytes, over the limit of {limits.max_record_bytes} bytes "
                f"(raw cut to its first {limits.raw_chars} characters)",
                F.octet_length(LINE),
            ),
        ),
    ]


def _missing(struct: Column, names: Sequence[str], where: Column | str = "") -> list[Check]:
    return [(struct[r].isNull(), _msg(where, f"field '{r}' is missing")) for r in names]


# --- CSV -------------------------------------------------------------------------
def csv_reason(table: str, limits: Limits) -> Column:
    """Why a CSV line judged bad by ``landing.csv`` is malformed."""
    from pyspark.sql import functions as F

    fields = fields_of(LANDING_SCHEMAS[table])
    rec, line = F.col(REC), F.col(LINE)
    tokens = F.split(line, ",", -1)
    n = len(fields)
    checks = _door_checks(limits)
    checks.append((
        landing.field_count(line) != n,
        F.format_string(f"expected {n} fields, found %d", landing.field_count(line)),
    ))
    for i, (name, typ) in enumerate(fields):
        cond, msg = _mismatch(name, typ, rec[name], tokens.getItem(i))
        checks.append((rec[CORRUPT].isNotNull() & cond, msg))
    checks.append((rec[CORRUPT].isNotNull(), "record does not fit the schema"))
    checks += _missing(rec, REQUIRED[table])
    names = [name for name, _ in fields]
    for name in landing.EPOCH_FIELDS[table]:
        ok = rec[name].isNull() | landing.epoch_ok(rec[name], limits)
        checks += _time_checks(name, rec[name], tokens.getItem(names.index(name)), ok, limits)
    return _first(checks)


# --- Kafka multiplex ----------------------------------------------------------------
def _value_checks(topic: str, rec: Column, limits: Limits) -> list[Check]:
    """Why the ``value`` of a record of ``topic`` is not a good document of that topic."""
    from pyspark.sql import functions as F

    v = F.col(landing.value_column(topic))
    fields = fields_of(VALUE_SCHEMAS[topic])
    texts = F.from_json(rec["value"], _strings_ddl(fields), PARSE_OPTIONS)
    where = F.concat(
        F.lit(f"topic '{topic}' partition "), F.coalesce(rec["partition"].cast("string"),
                                                         F.lit("?")),
        F.lit(" offset "), F.coalesce(rec["offset"].cast("string"), F.lit("?")),
        F.lit(": value "),
    )
    checks: list[Check] = [
        (v.isNull() | texts[CORRUPT].isNotNull(), _msg(where, "is not a valid JSON document")),
    ]
    for name, typ in fields:
        cond, msg = _mismatch(name, typ, v[name], texts[name], where)
        checks.append((v[CORRUPT].isNotNull() & cond, msg))
    checks.append((v[CORRUPT].isNotNull(), _msg(where, "does not fit its schema")))
    checks += _missing(v, VALUE_REQUIRED[topic], where)
    if topic == "bpm":
        checks += _time_checks("time", None, texts["time"],
                               landing.timestamp_ok(v["time"], limits), limits, where)
        checks.append((~landing.finite(v["heartrate"]),
                       _msg(where, F.format_string("field 'heartrate' value '%s' is not a finite "
                                                   "number", _shown(texts["heartrate"])))))
    else:
        enum, allowed = (
            ("action", settings.WORKOUT_ACTIONS) if topic == "workout"
            else ("update_type", settings.UPDATE_TYPES)
        )
        checks.append((
            ~v[enum].isin(*allowed),
            _msg(where, F.format_string(f"field '{enum}' value '%s' is not one of "
                                        f"{', '.join(allowed)}", _shown(texts[enum]))),
        ))
        checks += _time_checks("timestamp", v["timestamp"], texts["timestamp"],
                               landing.epoch_ok(v["timestamp"], limits), limits, where)
        if topic == "user_info":
            checks.append((
                v["dob"].isNotNull()
                & F.try_to_date(v["dob"], settings.DOB_FORMAT).isNull(),
                _msg(where, F.format_string(
                    f"field 'dob' value '%s' is not a date in {settings.DOB_FORMAT}",
                    _shown(texts["dob"]))),
            ))
    # Last: the document's own fields explain more than what follows it.
    checks.append((~F.col(landing.value_single_column()),
                   _msg(where, "is not exactly one JSON document (text after the document)")))
    return [((rec["topic"] == topic) & c, m) for c, m in checks]


def kafka_reason(limits: Limits) -> Column:
    """Why a Kafka multiplex line judged bad by ``landing.kafka`` is malformed."""
    from pyspark.sql import functions as F

    table = "kafka_multiplex_bz"
    fields = fields_of(LANDING_SCHEMAS[table])
    rec, line = F.col(REC), F.col(LINE)
    texts = F.from_json(line, _strings_ddl(fields), PARSE_OPTIONS)
    parsed = F.col(FITS) & rec[CORRUPT].isNull()
    checks = _door_checks(limits)
    checks.append((rec[CORRUPT].isNotNull() & texts[CORRUPT].isNotNull(),
                   "not a valid JSON record"))
    for name, typ in fields:
        cond, msg = _mismatch(name, typ, rec[name], texts[name])
        checks.append((rec[CORRUPT].isNotNull() & cond, msg))
    checks.append((rec[CORRUPT].isNotNull(), "record does not fit the schema"))
    checks += _missing(rec, REQUIRED[table])
    ts = rec["timestamp"]
    unit = F.when(ts >= settings.MILLIS_THRESHOLD, F.lit("(read as milliseconds) ")).otherwise(
        F.lit("(read as seconds) ")
    )
    checks += _time_checks("timestamp", ts, texts["timestamp"],
                           landing.kafka_timestamp_ok(ts, limits), limits, unit=unit)
    checks.append((
        ~rec["topic"].isin(*settings.TOPICS),
        F.format_string(f"unknown topic '%s' (expected {', '.join(settings.TOPICS)})",
                        _shown(rec["topic"])),
    ))
    # After the record's own fields (they explain more), before its value's.
    checks.append((
        parsed & ~F.col(SINGLE),
        "not exactly one JSON object on the line (records run together, or text after the "
        "record)",
    ))
    for topic in settings.TOPICS:
        checks += _value_checks(topic, rec, limits)
    return _first(checks)


def reason(table: str, limits: Limits) -> Column:
    """Why a landed line of ``table`` judged bad by ``landing.check`` is malformed."""
    if settings.LANDING_FORMAT[table] == "csv":
        return csv_reason(table, limits)
    return kafka_reason(limits)


def raw_text(limits: Limits) -> Column:
    """The line as landed: cut when oversize, invalid UTF-8 bytes replaced (U+FFFD)."""
    from pyspark.sql import functions as F

    text = F.make_valid_utf8(LINE)
    return F.when(
        F.octet_length(LINE) > limits.max_record_bytes, F.substring(text, 1, limits.raw_chars)
    ).otherwise(text)


def append(lh: Lakehouse, bad: DataFrame, batch_id: int, target: str, limits: Limits,
           app_id: str | None = None) -> None:
    """Append the bad lines of one micro-batch (checked by ``landing.check``) to quarantine.

    ``app_id``: the bronze writer's id (default: the target's); its quarantine
    appends carry ``<app_id>->quarantine`` for Delta's replay guard.
    """
    from pyspark.sql import functions as F

    (
        bad.select(
            F.lit(target).alias("target_table"),
            "source_file",
            raw_text(limits).alias("raw"),
            F.concat(
                F.element_at(F.split("source_file", "/"), -1), F.lit(": "), reason(target, limits)
            ).alias("reason"),
            "load_time",
        )
        .write.format("delta")
        .mode("append")
        # Idempotent: a micro-batch replayed after a crash is not appended twice.
        .option("txnAppId", f"{app_id or lh.table(target)}->quarantine")
        .option("txnVersion", batch_id)
        .saveAsTable(lh.table(settings.QUARANTINE))
    )
