"""Literal predicates that let Delta skip files: cost per change, not per history.

Open-source Spark has no dynamic file pruning for Delta, so a MERGE or a read
that joins against a small set of changed keys still scans every file of the
big side, and that cost grows with history. Delta does skip files whose
min/max statistics cannot match a *literal* predicate on the target alone.
So each micro-batch collects a few small facts about what changed (the hours
its event times fall in, the devices it touches) and turns them into such
literals: ``(t.time >= TIMESTAMP '...' AND t.time < TIMESTAMP '...') OR ...``.

Hours, not the batch's min/max: one plausible but far-off record (a reading
from last year) would otherwise widen a single range over all of history.
Contiguous hours merge into one range, and past ``MAX_RANGES`` the closest
ranges merge, so the predicate stays short.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

BUCKET_SECONDS = 3600
MAX_RANGES = 32
MAX_TERMS = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

Range = tuple[datetime, datetime]  # [start, end), UTC


def bucket_of(ts: Column, seconds: int = BUCKET_SECONDS) -> Column:
    """The bucket number of a TIMESTAMP column (whole ``seconds`` since the epoch)."""
    from pyspark.sql import functions as F

    return F.floor(F.unix_micros(ts) / F.lit(seconds * 1_000_000)).cast("bigint")


def ranges_of_buckets(
    buckets: Iterable[int], seconds: int = BUCKET_SECONDS, max_ranges: int = MAX_RANGES
) -> list[Range]:
    """Sorted, merged [start, end) ranges covering every bucket; at most ``max_ranges``."""
    ordered = sorted(set(buckets))
    spans: list[list[int]] = []
    for b in ordered:
        if spans and b == spans[-1][1]:
            spans[-1][1] = b + 1
        else:
            spans.append([b, b + 1])
    while len(spans) > max(1, max_ranges):
        # Merge across the smallest gap: the predicate grows least in covered time.
        i = min(range(len(spans) - 1), key=lambda k: spans[k + 1][0] - spans[k][1])
        spans[i][1] = spans[i + 1][1]
        del spans[i + 1]
    step = timedelta(seconds=seconds)
    return [(_EPOCH + lo * step, _EPOCH + hi * step) for lo, hi in spans]


def widen(ranges: Sequence[Range], before: timedelta, after: timedelta) -> list[Range]:
    """Each range grown by ``before``/``after``, overlapping ones merged."""
    grown = sorted((lo - before, hi + after) for lo, hi in ranges)
    out: list[Range] = []
    for lo, hi in grown:
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def literal(ts: datetime) -> str:
    """A TIMESTAMP literal in UTC with microseconds (the session time zone is UTC)."""
    return f"TIMESTAMP '{ts.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def in_ranges(column: str, ranges: Sequence[Range]) -> str:
    """SQL: ``column`` lies in one of ``ranges``; FALSE when there are none."""
    if not ranges:
        return "FALSE"
    terms = [f"({column} >= {literal(lo)} AND {column} < {literal(hi)})" for lo, hi in ranges]
    return "(" + " OR ".join(terms) + ")"


def overlaps(start: str, end: str, ranges: Sequence[Range]) -> str:
    """SQL: the interval [``start``, ``end``] overlaps one of ``ranges``."""
    if not ranges:
        return "FALSE"
    terms = [f"({start} < {literal(hi)} AND {end} >= {literal(lo)})" for lo, hi in ranges]
    return "(" + " OR ".join(terms) + ")"


def in_list(column: str, values: Iterable[int]) -> str:
    """SQL: ``column IN (...)`` over integers; FALSE when empty."""
    vals = sorted({int(v) for v in values})
    if not vals:
        return "FALSE"
    return f"{column} IN ({', '.join(map(str, vals))})"


def buckets(df: DataFrame, column: str, seconds: int = BUCKET_SECONDS) -> list[int]:
    """The distinct buckets of ``df[column]`` (one small Spark job)."""
    return [
        int(r[0])
        for r in df.select(bucket_of(df[column], seconds).alias("b")).distinct().collect()
        if r[0] is not None
    ]


def time_ranges(df: DataFrame, column: str, max_ranges: int = MAX_RANGES) -> list[Range]:
    """Merged hour ranges holding every value of ``df[column]``."""
    return ranges_of_buckets(buckets(df, column), max_ranges=max_ranges)
