"""The one-time history loader: the date lookup from the test data folder.

Every value of the lookup may arrive as a string (``"2023"``, ``"41"``), so
the file is read as strings and cast; days already loaded are not loaded again.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

from app.pipeline import settings
from app.pipeline.schemas import DATE_LOOKUP_JSON
from app.platform.errors import LakehouseError

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse

# Table property of date_lookup: the digest of the history files last merged into it.
DIGEST_PROPERTY = "lakehouse.history.digest"
_INT_COLUMNS = ("week", "year", "month", "dayofweek", "dayofmonth", "dayofyear")


def history_digest(lh: Lakehouse) -> str | None:
    """A digest of the history files' names and bytes (the ones Spark reads); None if none."""
    zone = lh.store("data_zone")
    names = sorted(
        p for p in zone.list(f"{settings.HISTORY_FOLDER}/")
        if not any(part.startswith((".", "_")) for part in p.split("/"))
    )
    if not names:
        return None
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        digest.update(zone.get_bytes(name) + b"\0")
    return digest.hexdigest()


def loaded_digest(lh: Lakehouse) -> str | None:
    """The history digest recorded on ``date_lookup`` by its last load, if any."""
    rows = lh.spark.sql(f"SHOW TBLPROPERTIES {lh.table('date_lookup')}").collect()
    return next((str(r.value) for r in rows if r.key == DIGEST_PROPERTY), None)


def load_date_lookup(lh: Lakehouse) -> int:
    """Load the date lookup JSON lines into ``date_lookup``; returns rows added.

    Only days the table lacks are added, so once the files have been loaded a
    load changes nothing: their digest, kept as a table property, lets a later
    run skip it (a file read and a property read instead of Spark jobs). Into
    an empty table (a fresh schema) the days are appended, a single write job;
    otherwise they are merged on the date. Rows added come from the Delta log.
    """
    from pyspark.sql import functions as F

    spark = lh.spark
    path = lh.path("data_zone", settings.HISTORY_FOLDER)
    digest = history_digest(lh)
    if digest is None:
        raise LakehouseError(
            f"no date lookup under {path}: land the test data first "
            "(`lakehouse produce` locally)"
        )
    target = lh.table("date_lookup")
    if loaded_digest(lh) == digest:
        return 0
    raw = spark.read.schema(DATE_LOOKUP_JSON).option("recursiveFileLookup", "true").json(path)
    # "2023", "2023.0" and 2023 all load: through DOUBLE, then INT.
    days = raw.select(
        F.to_date(F.substring(F.trim("date"), 1, 10)).alias("date"),
        *(F.col(c).cast("double").cast("int").alias(c) for c in _INT_COLUMNS),
        F.trim("week_part").alias("week_part"),
    ).where("date IS NOT NULL").dropDuplicates(["date"])
    rows = lh.row_count("date_lookup")
    before = rows.refresh()
    if before == 0:
        days.write.format("delta").mode("append").saveAsTable(target)
    else:
        source = f"date_lookup_new_{uuid.uuid4().hex[:8]}"  # a session may load several schemas
        days.createOrReplaceTempView(source)
        try:
            spark.sql(f"MERGE INTO {target} t USING {source} s ON t.date = s.date "
                      "WHEN NOT MATCHED THEN INSERT *")
        finally:
            spark.catalog.dropTempView(source)
    spark.sql(f"ALTER TABLE {target} SET TBLPROPERTIES ('{DIGEST_PROPERTY}' = '{digest}')")
    return (rows.refresh() or 0) - (before or 0)


def validate_history(lh: Lakehouse) -> int:
    """One row per day, at least a year of days, every day with its week_part; returns the days.

    Raises:
        LakehouseError: the lookup is empty, has duplicate days or missing days.
    """
    row = lh.spark.sql(
        f"SELECT count(*) n, count(DISTINCT date) d, min(date) lo, max(date) hi, "
        f"count_if(week_part IS NULL) np FROM {lh.table('date_lookup')}"
    ).first()
    assert row is not None
    if row.n == 0:
        raise LakehouseError(f"{lh.table('date_lookup')} is empty: run the history loader")
    if row.n != row.d:
        raise LakehouseError(f"{lh.table('date_lookup')}: {row.n - row.d} duplicate days")
    if row.n < 365 or row.np:
        raise LakehouseError(
            f"{lh.table('date_lookup')}: {row.n} days from {row.lo} to {row.hi} "
            f"(365 or more expected), {row.np} without week_part"
        )
    return int(row.n)
