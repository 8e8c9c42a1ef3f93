"""The one-time history loader: the date lookup from the test data folder.

Every value of the lookup may arrive as a string (``"2023"``, ``"41"``), so
the file is read as strings and cast; days already loaded are not loaded again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.pipeline import settings
from app.pipeline.schemas import DATE_LOOKUP_JSON
from app.platform.errors import LakehouseError

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse

_INT_COLUMNS = ("week", "year", "month", "dayofweek", "dayofmonth", "dayofyear")


def load_date_lookup(lh: Lakehouse) -> int:
    """Merge the date lookup JSON lines into ``date_lookup``; returns rows added."""
    from pyspark.sql import functions as F

    spark = lh.spark
    path = lh.path("data_zone", settings.HISTORY_FOLDER)
    if not [p for p in lh.store("data_zone").list(f"{settings.HISTORY_FOLDER}/")]:
        raise LakehouseError(
            f"no date lookup under {path}: land the test data first "
            "(`python -m app.pipeline produce`)"
        )
    raw = spark.read.schema(DATE_LOOKUP_JSON).option("recursiveFileLookup", "true").json(path)
    # "2023", "2023.0" and 2023 all load: through DOUBLE, then INT.
    days = raw.select(
        F.to_date(F.substring(F.trim("date"), 1, 10)).alias("date"),
        *(F.col(c).cast("double").cast("int").alias(c) for c in _INT_COLUMNS),
        F.trim("week_part").alias("week_part"),
    ).where("date IS NOT NULL").dropDuplicates(["date"])
    target = lh.table("date_lookup")
    before = spark.table(target).count()
    days.createOrReplaceTempView("date_lookup_new")
    spark.sql(
        f"MERGE INTO {target} t USING date_lookup_new s ON t.date = s.date "
        "WHEN NOT MATCHED THEN INSERT *"
    )
    return spark.table(target).count() - before


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
