"""Every layer against a ground-truth manifest (the batch-test notebook, the local tests).

Counts for every table and the view; rows for completed_workouts,
workout_bpm_summary and gym_summary; and the quarantine record by record.
Times are compared as UTC ISO strings with microseconds, averages and minutes
to 1e-9.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from app.pipeline import settings

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse

COUNTED = (*settings.TABLES, *settings.VIEWS)
ISO = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"


def table_counts(lh: Lakehouse) -> dict[str, int]:
    return {t: lh.spark.table(lh.table(t)).count() for t in COUNTED}


def _num(x: Any) -> Any:
    if isinstance(x, bool) or x is None:
        return x
    if isinstance(x, (int, float)):
        return round(float(x), 9)
    return x


def _rows(dicts: list[dict[str, Any]], keys: tuple[str, ...]) -> Counter:
    return Counter(tuple(_num(d[k]) for k in keys) for d in dicts)


def _diff(name: str, want: Counter, got: Counter, limit: int = 3) -> list[str]:
    if want == got:
        return []
    missing, extra = want - got, got - want
    return [
        f"{name}: {sum(missing.values())} rows missing (e.g. {list(missing)[:limit]}), "
        f"{sum(extra.values())} unexpected (e.g. {list(extra)[:limit]})"
    ]


COMPLETED = ("user_id", "workout_id", "session_id", "start_time", "end_time")
SUMMARY = (
    "user_id", "workout_id", "session_id", "age", "gender", "city", "state",
    "min_bpm", "avg_bpm", "max_bpm", "num_recordings",
)
GYM = (
    "date", "gym", "mac_address", "workout_id", "session_id", "minutes_in_gym",
    "minutes_exercising",
)


def actual_rows(lh: Lakehouse) -> dict[str, list[dict[str, Any]]]:
    spark = lh.spark
    completed = spark.sql(
        f"SELECT user_id, workout_id, session_id, date_format(start_time, \"{ISO}\") start_time, "
        f"date_format(end_time, \"{ISO}\") end_time FROM {lh.table('completed_workouts')}"
    )
    gym = spark.sql(
        f"SELECT CAST(date AS STRING) date, gym, mac_address, workout_id, session_id, "
        f"minutes_in_gym, minutes_exercising FROM {lh.table('gym_summary')}"
    )
    summary = spark.table(lh.table("workout_bpm_summary"))
    return {
        "completed_workouts": [r.asDict() for r in completed.collect()],
        "workout_bpm_summary": [r.asDict() for r in summary.collect()],
        "gym_summary": [r.asDict() for r in gym.collect()],
    }


def normalize_raw(raw: str) -> Any:
    """A record's text in a form that ignores number spelling (1, 1.0) and JSON escaping."""
    raw = raw.rstrip("\r\n")
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        return ("json", tuple(sorted((k, _num(v)) for k, v in doc.items())))
    if raw.lstrip().startswith("{"):
        return ("text", raw)
    cells: list[Any] = []
    for cell in raw.split(","):
        try:
            cells.append(round(float(cell), 6))
        except ValueError:
            cells.append(cell)
    return ("csv", tuple(cells))


def relative_source(source_file: str) -> str:
    """A landed file's path relative to the data zone (``raw/<table>/<file>``).

    The last ``/raw/``: the landing folder and file names hold none, while the
    path in front of the data zone (a home folder, a container) may.
    """
    i = source_file.rfind("/raw/")
    return source_file[i + 1:] if i >= 0 else source_file


def check_quarantine(lh: Lakehouse, manifest: dict[str, Any]) -> list[str]:
    got = Counter(
        (relative_source(r.source_file), normalize_raw(r.raw))
        for r in lh.spark.table(lh.table(settings.QUARANTINE)).collect()
    )
    want = Counter((m["source_file"], normalize_raw(m["raw"])) for m in manifest["malformed"])
    return _diff("quarantine", want, got)


def check(lh: Lakehouse, manifest: dict[str, Any]) -> list[str]:
    """Every difference between the tables and the manifest; empty when all match."""
    problems = []
    counts = table_counts(lh)
    for table, want in manifest["counts"].items():
        if counts.get(table) != want:
            problems.append(f"{table}: {counts.get(table)} rows, ground truth {want}")
    got = actual_rows(lh)
    for name, keys in (
        ("completed_workouts", COMPLETED),
        ("workout_bpm_summary", SUMMARY),
        ("gym_summary", GYM),
    ):
        problems += _diff(name, _rows(manifest["rows"][name], keys), _rows(got[name], keys))
    problems += check_quarantine(lh, manifest)
    return problems
