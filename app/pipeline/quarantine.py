"""Malformed records: a reason that names the file, record and field, and the quarantine table.

A record is malformed when the reader could not fit it to the landing schema
(Auto Loader's rescued-data column is set), when a field it cannot do without
is missing, or, for the Kafka multiplex, when its `value` is not the JSON
document its topic promises. Malformed records go to `quarantine` with the
target table, source file, raw text and reason; they never stop a stream and
never reach bronze.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from app.pipeline import settings

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from app.platform.lakehouse import Lakehouse

CORRUPT = "_corrupt"
_OPTS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}


def fields_of(ddl: str) -> list[tuple[str, str]]:
    """(name, SQL type) of each top-level field of a DDL schema."""
    from pyspark.sql.types import StructType

    schema = StructType.fromDDL(ddl)
    assert isinstance(schema, StructType)
    return [(f.name, f.dataType.simpleString().upper()) for f in schema.fields]


def _strings_ddl(fields: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"`{name}` STRING" for name, _ in fields) + f", {CORRUPT} STRING"


def _first(checks: list[tuple[Column, Column | str]]) -> Column:
    from pyspark.sql import functions as F

    out = None
    for cond, value in checks:
        value_col = value if not isinstance(value, str) else F.lit(value)
        out = F.when(cond, value_col) if out is None else out.when(cond, value_col)
    assert out is not None
    return out


def _mismatch(name: str, typ: str, typed: Column, text: Column, where: str = "") -> tuple:
    from pyspark.sql import functions as F

    cond = typed.isNull() & text.isNotNull() & (F.trim(text) != "")
    return cond, F.format_string(f"{where}field '{name}' value '%s' is not a {typ}", text)


def csv_reason(ddl: str, required: Sequence[str]) -> Column:
    """Why a CSV record (columns per ``ddl``, raw line in the rescued column) is malformed."""
    from pyspark.sql import functions as F

    fields = fields_of(ddl)
    raw = F.col(settings.RESCUED)
    tokens = F.split(raw, ",", -1)
    n = len(fields)
    checks: list[tuple[Column, Column | str]] = [
        (
            raw.isNotNull() & (F.size(tokens) != n),
            F.format_string(f"expected {n} fields, found %d", F.size(tokens)),
        )
    ]
    for i, (name, typ) in enumerate(fields):
        cond, msg = _mismatch(name, typ, F.col(name), tokens.getItem(i))
        checks.append((raw.isNotNull() & cond, msg))
    checks.append((raw.isNotNull(), "record does not fit the schema"))
    checks += [(F.col(r).isNull(), f"field '{r}' is missing") for r in required]
    return _first(checks)


def json_reason(ddl: str, required: Sequence[str]) -> Column:
    """Why a JSON-lines record (raw line in the rescued column) is malformed."""
    from pyspark.sql import functions as F

    fields = fields_of(ddl)
    raw = F.col(settings.RESCUED)
    strings = F.from_json(raw, _strings_ddl(fields), _OPTS)
    checks: list[tuple[Column, Column | str]] = [
        (raw.isNotNull() & strings[CORRUPT].isNotNull(), "not a valid JSON record"),
    ]
    for name, typ in fields:
        cond, msg = _mismatch(name, typ, F.col(name), strings[name])
        checks.append((raw.isNotNull() & cond, msg))
    checks.append((raw.isNotNull(), "record does not fit the schema"))
    checks += [(F.col(r).isNull(), f"field '{r}' is missing") for r in required]
    return _first(checks)


def value_reason(
    topic_col: str, value_col: str, schemas: Mapping[str, str],
    required: Mapping[str, Sequence[str]],
) -> Column:
    """Why a multiplexed record's JSON ``value`` does not fit its topic's document."""
    from pyspark.sql import functions as F

    topic = F.col(topic_col)
    checks: list[tuple[Column, Column | str]] = [
        (
            ~topic.isin(*schemas),
            F.format_string(f"unknown topic '%s' (expected {', '.join(schemas)})", topic),
        )
    ]
    for name, ddl in schemas.items():
        fields = fields_of(ddl)
        is_topic = topic == name
        typed = F.from_json(F.col(value_col), f"{ddl}, {CORRUPT} STRING", _OPTS)
        strings = F.from_json(F.col(value_col), _strings_ddl(fields), _OPTS)
        where = f"topic '{name}': value "
        checks.append(
            (is_topic & strings[CORRUPT].isNotNull(), f"{where}is not a valid JSON document")
        )
        for fname, typ in fields:
            cond, msg = _mismatch(fname, typ, typed[fname], strings[fname], where)
            checks.append((is_topic & typed[CORRUPT].isNotNull() & cond, msg))
        checks.append((is_topic & typed[CORRUPT].isNotNull(), f"{where}does not fit its schema"))
        checks += [
            (is_topic & typed[r].isNull(), f"{where}field '{r}' is missing")
            for r in required[name]
        ]
    return _first(checks)


def append(lh: Lakehouse, bad: DataFrame, batch_id: int, target: str) -> None:
    """Append malformed rows (source_file, raw, reason, load_time) of one micro-batch."""
    from pyspark.sql import functions as F

    (
        bad.select(
            F.lit(target).alias("target_table"),
            "source_file",
            "raw",
            F.concat(F.element_at(F.split("source_file", "/"), -1), F.lit(": "), "reason").alias(
                "reason"
            ),
            "load_time",
        )
        .write.format("delta")
        .mode("append")
        # Idempotent: a micro-batch replayed after a crash is not appended twice.
        .option("txnAppId", f"{lh.table(target)}->quarantine")
        .option("txnVersion", batch_id)
        .saveAsTable(lh.table(settings.QUARANTINE))
    )
