"""Shared parts of the pipeline benchmarks: private lakehouses, percentiles, goals, tables."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.platform.config import LakehouseConfig  # noqa: E402
from app.platform.lakehouse import Lakehouse  # noqa: E402

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def private_config(base: LakehouseConfig, target: str) -> LakehouseConfig:
    """``base`` on ``target`` with its own schema and containers (nothing shared)."""
    tag = uuid.uuid4().hex[:8]
    return base.replace(
        storage=target,
        schema=f"bench_{tag}",
        data_zone_container=f"bench-landing-{tag}",
        checkpoint_container=f"bench-ckpt-{tag}",
        tables_container=f"bench-tables-{tag}",
    )


def make_lakehouse(base: LakehouseConfig, spark: SparkSession, target: str) -> Lakehouse:
    lh = Lakehouse(private_config(base, target), spark)
    lh.target.provision()
    return lh


def remove(lh: Lakehouse) -> None:
    """Drop the lakehouse's schema and its containers; a failure is printed, not raised."""
    from app.pipeline import ddl

    try:
        ddl.cleanup(lh)
        lh.target.deprovision()
    except Exception as exc:  # a benchmark's leftovers must not hide its figures
        print(f"  (cleanup of {lh.database} failed: {type(exc).__name__}: {exc})")


@contextmanager
def private_lakehouse(
    base: LakehouseConfig, spark: SparkSession, target: str
) -> Iterator[Lakehouse]:
    lh = make_lakehouse(base, spark, target)
    try:
        yield lh
    finally:
        remove(lh)


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in [0, 1]) of a non-empty list."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def check_queries(queries: list[Any]) -> None:
    """Raise if any streaming query died (its error would otherwise look like slowness)."""
    for q in queries:
        if q.exception() is not None:
            raise RuntimeError(f"stream {q.name} failed: {q.exception()}")


@dataclass(frozen=True)
class Goal:
    """A figure's goal: ``value <= limit`` (or ``>=`` when ``at_least``)."""

    limit: float
    at_least: bool = False

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.limit if self.at_least else value <= self.limit

    def text(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.limit:g}"


@dataclass
class Figure:
    """One reported number per target, with its unit and (optional) goal per target."""

    name: str
    unit: str
    values: dict[str, float | None]
    goals: dict[str, Goal] | None = None


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "yes":  # a yes/no figure, 1 or 0
        return "yes" if value else "no"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}" if unit in ("x", "ratio") else f"{value:.1f}"


def print_summary(figures: list[Figure], targets: list[str]) -> None:
    """One table: each figure per target, azurite/local, and the goal with met / MISSED."""
    ratio = "local" in targets and "azurite" in targets
    head = f"{'figure':<44}{'unit':>6}" + "".join(f"{t:>11}" for t in targets)
    head += f"{'az/local':>10}" if ratio else ""
    print(head + "  goal")
    for f in figures:
        line = f"{f.name:<44}{f.unit:>6}" + "".join(
            f"{fmt(f.values.get(t), f.unit):>11}" for t in targets
        )
        if ratio:
            lv, av = f.values.get("local"), f.values.get("azurite")
            # A yes/no figure has no ratio.
            line += (f"{av / lv:>10.2f}" if f.unit != "yes" and lv and av is not None
                     else f"{'-':>10}")
        if f.goals:
            verdicts = []
            for t in targets:
                goal = f.goals.get(t)
                if goal is None:
                    continue
                ok = goal.met(f.values.get(t))
                state = "n/a" if ok is None else ("met" if ok else "MISSED")
                verdicts.append(f"{t} {goal.text()} {state}")
            line += "  " + "; ".join(verdicts)
        print(line)
