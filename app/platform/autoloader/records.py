"""Records against a schema, as Auto Loader loads them: rescued data and new-column checks.

All of it is Spark SQL expressions, evaluated in the JVM per record (no
Python UDF, no extra pass over the data).

JSON (``json_records``): each line is parsed with ``from_json`` against the
stream's schema (the column values, NULL where a value does not fit the type)
and its top-level keys are listed with ``json_object_keys``. Per record:

- new fields: keys whose name, ignoring case, is not a column;
- case mismatches: keys that match a column only when case is ignored;
- type mismatches: a typed column that parsed to NULL although
  ``get_json_object`` finds a value (not JSON null) for it.

Only records with something to rescue (or that stop the stream) are parsed a
second time, as ``MAP<STRING, VARIANT>``, to copy the fields as written: a
clean record costs one parse and one key listing.

The rescued-data column holds a JSON object of the mismatched and unknown
fields, with their values as written, plus ``_file_path``; NULL for a clean
record. In ``addNewColumns`` and ``failOnNewColumns`` mode a record with new
fields stops the stream (``raise_error``) with Auto Loader's error class
``UNKNOWN_FIELD_EXCEPTION.NEW_FIELDS_IN_RECORD_WITH_FILE_PATH``, naming the
fields and the file; the check is a filter, so column pruning cannot skip it.

CSV (``csv_records``): Spark's CSV source reads every column as STRING; the
typed columns are then cast with ``try_cast``, and a value that does not
cast is rescued (``{"cost": "$100", "_file_path": ...}``, the documented
example). New CSV columns are found by the header check (see source.py).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import StructType

FILE_PATH_KEY = "_file_path"
ERROR_CLASS = "UNKNOWN_FIELD_EXCEPTION.NEW_FIELDS_IN_RECORD_WITH_FILE_PATH"
_LINE, _ROW, _KEYS, _NEW, _RESCUED_KEYS = (
    "__cf_line",
    "__cf_row",
    "__cf_keys",
    "__cf_new",
    "__cf_rescued_keys",
)


@dataclass(frozen=True)
class NewFieldStop:
    """How a stream stops on a new field: Auto Loader's retry flag and the advice to show."""

    retryable: bool
    advice: str


def _file_path() -> Column:
    from pyspark.sql import functions as F

    return F.col("_metadata.file_path")


def _string_array(names: list[str]) -> Column:
    from pyspark.sql import functions as F

    if not names:
        return F.array().cast("array<string>")
    return F.array(*[F.lit(n) for n in names])


def _unknown_field_error(new: Column, raw: Column, retryable: bool, advice: str) -> Column:
    from pyspark.sql import functions as F

    blob = F.to_json(F.map_filter(raw, lambda k, _: F.array_contains(new, k)))
    return F.raise_error(
        F.concat(
            F.lit(f"[{ERROR_CLASS}] Encountered unknown fields during parsing: "),
            blob,
            F.lit(f", which can be fixed by an automatic retry: {str(retryable).lower()}. "),
            F.lit("Unknown fields inside file path: "),
            _file_path(),
            F.lit(". New fields: "),
            F.array_join(new, ", "),
            F.lit(f". {advice}"),
        )
    )


def json_records(
    lines: DataFrame,
    schema: StructType,
    rescued: str | None,
    stop_on_new: NewFieldStop | None,
    parse_options: dict[str, str] | None = None,
) -> DataFrame:
    """JSON Lines (a text source's ``value``) as ``schema``'s columns (+ ``rescued``).

    ``stop_on_new``: None to let new fields through (rescued or ignored), else how
    the stream stops on them (the evolution mode decides it).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    # None, not {}: Spark Connect sends an empty dict as a map of VOID, which Spark refuses.
    opts = parse_options or None
    names = [f.name for f in schema.fields]
    typed = [f.name for f in schema.fields if not isinstance(f.dataType, StringType)]
    df = lines.withColumnRenamed("value", _LINE)
    line = F.col(_LINE)
    df = df.withColumns({_ROW: F.from_json(line, schema, opts), _KEYS: F.json_object_keys(line)})
    row, keys = F.col(_ROW), F.col(_KEYS)
    # Every key with its value as written. Parsed only inside the branches for
    # records that need it (rescued or stopping), so clean records never pay for it.
    raw = F.from_json(line, "MAP<STRING, VARIANT>", opts)
    known_lower = _string_array([n.lower() for n in names])
    known = _string_array(names)
    none = _string_array([])
    # A type mismatch: the column parsed to NULL though the record holds a value
    # (get_json_object is NULL for a missing key and for JSON null alike). Looked
    # for only when a typed column is NULL: clean records skip it.
    wrong_type = none
    if typed:
        per_column = [
            F.when(
                row[n].isNull() & F.get_json_object(line, _json_path(n)).isNotNull(),
                F.array(F.lit(n)),
            ).otherwise(none)
            for n in typed
        ]
        any_null = functools.reduce(operator.or_, [row[n].isNull() for n in typed])
        wrong_type = F.when(any_null, F.concat(*per_column)).otherwise(none)
    # New fields and case mismatches: the keys that are not exactly a column.
    # (array_except and no lambda on the common path: higher-order functions are
    # interpreted, not compiled, and cost more than the parse on clean records.)
    not_a_column = F.array_except(keys, known)
    new_fields = F.when(
        F.size(not_a_column) > 0,
        F.filter(not_a_column, lambda k: ~F.array_contains(known_lower, F.lower(k))),
    ).otherwise(none)
    df = df.withColumns({_NEW: new_fields, _RESCUED_KEYS: F.concat(not_a_column, wrong_type)})
    if stop_on_new is not None:
        new = F.col(_NEW)
        error = _unknown_field_error(new, raw, stop_on_new.retryable, stop_on_new.advice)
        df = df.where(F.when(F.size(new) > 0, error).otherwise(F.lit(True)))
    columns = {n: row[n] for n in names}
    if rescued:
        picked = F.map_filter(raw, lambda k, _: F.array_contains(F.col(_RESCUED_KEYS), k))
        path = F.create_map(F.lit(FILE_PATH_KEY), _file_path().cast("variant"))
        with_path = F.map_concat(picked, path)
        columns[rescued] = F.when(F.size(F.col(_RESCUED_KEYS)) > 0, F.to_json(with_path))
    return df.withColumns(columns).drop(_LINE, _ROW, _KEYS, _NEW, _RESCUED_KEYS)


def _json_path(name: str) -> str:
    """``get_json_object``'s path to a top-level key (bracket form: dots, spaces are fine)."""
    return "$['" + name.replace("'", "\\'") + "']"


def csv_records(rows: DataFrame, schema: StructType, rescued: str | None) -> DataFrame:
    """CSV rows read as all-STRING columns, cast to ``schema`` (+ ``rescued``)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    typed = [f for f in schema.fields if not isinstance(f.dataType, StringType)]
    if not typed:
        return rows.withColumn(rescued, F.lit(None).cast("string")) if rescued else rows
    cast = {f.name: F.col(f.name).try_cast(f.dataType) for f in typed}
    columns = dict(cast)
    if rescued:
        entries = []
        for f in typed:
            value = F.col(f.name)
            entries += [F.lit(f.name), F.when(value.isNotNull() & cast[f.name].isNull(), value)]
        bad = F.map_filter(F.create_map(*entries), lambda _, v: v.isNotNull())
        with_path = F.map_concat(bad, F.create_map(F.lit(FILE_PATH_KEY), _file_path()))
        columns[rescued] = F.when(F.size(bad) > 0, F.to_json(with_path))
    return rows.withColumns(columns)
