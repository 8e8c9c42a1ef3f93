"""Where Spark's time goes, SQL execution by SQL execution, per stream and micro-batch.

``bench/batch_costs.py`` splits a batch by the phases of a query's progress
report; the foreachBatch body (our MERGEs and appends, Delta's commits) is
one figure there. This one looks inside it. It runs the pipeline with Spark's
UI served on the loopback address, then reads the UI's REST API
(``/api/v1/applications/<id>/sql``): every SQL execution with its start,
duration and description. Spark describes a stream's executions by the query
and batch (``<schema>.<stream>`` ... ``batch = N``), and Delta adds what its
own jobs do ("Compute snapshot for version: N", "Filtering files for query",
"MERGE operation - materialize source", ...). It prints:

- each micro-batch: its wall span (first execution's start to last one's
  end) and how many executions it ran;
- per stream, each kind of work: executions and seconds. Executions nest (a
  MERGE runs its scans as executions of their own) and streams overlap, so
  the seconds are not additive: they say where the time is, not a total.

Modes: ``stream`` lands one-day sets one at a time with every stream running
on a 1 s trigger (the latency part of ``bench/pipeline.py``); ``once`` runs the
batch test (run once per set, validated against the ground truth).

    .venv/bin/python bench/sql_costs.py [--mode stream|once] [--sets 4] [--scale 0.25]
                                        [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import private_lakehouse  # noqa: E402

# Delta's descriptions of its own work, most specific first; anything else is
# the stream's own query (an append, a collect, a MERGE's outer execution).
KINDS = (
    "Compute snapshot",
    "Filtering files for query",
    "materialize source",
    "scanning files for matches",
    "writing new files for only inserts",
    "Rewriting",
    "OPTIMIZE",
    "checkpoint",
)
BATCH = re.compile(r"\.(\w+)\n.*?batch = (\w+)", re.S)


@dataclass(frozen=True)
class Execution:
    start: float  # seconds since the first execution read
    seconds: float
    stream: str  # "" when no stream ran it (setup, validation, the bench itself)
    batch: str
    kind: str


def fetch(spark: Any) -> list[dict[str, Any]]:
    """Every SQL execution the UI still holds (it keeps ``spark.sql.ui.retainedExecutions``)."""
    sc = spark.sparkContext
    url = (f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/sql"
           "?details=false&length=1000000")
    with urllib.request.urlopen(url, timeout=60) as response:  # the local UI, loopback only
        rows: list[dict[str, Any]] = json.load(response)
    return rows


def kind_of(description: str) -> str:
    lowered = description.lower()
    return next((k for k in KINDS if k.lower() in lowered), "query")


def parse(rows: list[dict[str, Any]]) -> list[Execution]:
    def at(text: str) -> float:
        return datetime.strptime(text[:23], "%Y-%m-%dT%H:%M:%S.%f").timestamp()

    if not rows:
        return []
    t0 = min(at(r["submissionTime"]) for r in rows)
    out = []
    for r in rows:
        found = BATCH.search(r["description"])
        out.append(Execution(
            start=at(r["submissionTime"]) - t0,
            seconds=r["duration"] / 1000,
            stream=found.group(1) if found else "",
            batch=found.group(2) if found else "",
            kind=kind_of(r["description"]),
        ))
    return sorted(_mark_whole_batches(out), key=lambda e: e.start)


def _mark_whole_batches(executions: list[Execution]) -> list[Execution]:
    """The execution that spans its whole micro-batch (the sink's) is not a kind of work."""
    by_batch: dict[tuple[str, str], list[Execution]] = defaultdict(list)
    for e in executions:
        by_batch[(e.stream, e.batch)].append(e)
    whole = set()
    for (stream, _), group in by_batch.items():
        longest = max(group, key=lambda e: e.seconds)
        if stream and all(longest.start <= e.start and e.start + e.seconds
                          <= longest.start + longest.seconds + 0.05 for e in group):
            whole.add(id(longest))
    return [Execution(e.start, e.seconds, e.stream, e.batch, "(whole batch)")
            if id(e) in whole else e for e in executions]


def print_batches(executions: list[Execution]) -> None:
    spans: dict[tuple[str, str], list[float]] = {}
    for e in executions:
        if not e.stream:
            continue
        lo, hi, n = spans.get((e.stream, e.batch), [e.start, e.start, 0])
        spans[(e.stream, e.batch)] = [min(lo, e.start), max(hi, e.start + e.seconds), n + 1]
    print(f"\n{'from s':>8}{'to s':>8}{'wall s':>8}{'execs':>7}  stream batch")
    for (stream, batch), (lo, hi, n) in sorted(spans.items(), key=lambda kv: kv[1][0]):
        print(f"{lo:8.1f}{hi:8.1f}{hi - lo:8.1f}{int(n):7d}  {stream} {batch}")


def print_kinds(executions: list[Execution]) -> None:
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for e in executions:
        t = totals[(e.stream or "(no stream)", e.kind)]
        t[0] += 1
        t[1] += e.seconds
    print(f"\n{'stream':<28}{'kind':<36}{'execs':>7}{'seconds':>9}")
    for (stream, kind), (n, secs) in sorted(totals.items(), key=lambda kv: (kv[0][0], -kv[1][1])):
        print(f"{stream:<28}{kind:<36}{int(n):7d}{secs:9.1f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=("stream", "once"), default="stream")
    p.add_argument("--sets", type=int, default=4)
    p.add_argument("--scale", type=float, help="set scale (default: 0.25 stream, 1 once)")
    p.add_argument("--json", type=Path, help="also write the raw executions here")
    args = p.parse_args(argv)

    from app.platform.config import load_config
    from app.platform.session import build_session

    config = load_config().replace(spark_ui="true", storage="local")
    spark = build_session(config)
    with private_lakehouse(config, spark, "local") as lh:
        if args.mode == "stream":
            from bench import latency

            times = latency.landed_to_gold(lh, args.sets, scale=args.scale or 0.25)
            print("landed -> gold s:", ", ".join(f"{t:.1f}" for t in times))
        else:
            from data_generators import GeneratorSpec
            from lakehouse_local import batch_test

            report = batch_test.batch_test(
                lh, GeneratorSpec(seed=42, sets=args.sets, scale=args.scale or 1.0))
            print(f"batch test {report.seconds:.1f}s:",
                  ", ".join(f"{k} {v:.1f}" for k, v in report.layer_seconds.items()))
    rows = fetch(spark)
    if args.json:
        args.json.write_text(json.dumps(rows))
    executions = parse(rows)
    print_batches(executions)
    print_kinds(executions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
