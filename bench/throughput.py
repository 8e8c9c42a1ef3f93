"""Sustained stream throughput: the highest producer rate at which the pipeline's lag stays bounded.

One trial = one rate on a fresh lakehouse: every stream runs with a 1-second
trigger (``run.start_all``) while a producer thread lands generated one-day
sets paced to ``rate`` Kafka records per second. Every few seconds a sampler
records

- the bronze backlog: Kafka records landed minus records the bronze Kafka
  stream has taken in (its progress events' ``numInputRows``), both exact;
- versions behind: per silver/gold stream, its Delta source tables' latest
  versions (from their ``_delta_log``) minus the ``endOffset`` reservoir
  versions of its last completed batch (``lastProgress``), the worst stream.

The rate held when both stayed bounded (the lowest value of the last third of
the window is not above the middle third's by more than a slack: ``bounded``)
and the pipeline drained after the producer stopped: bronze took in every
landed record and gold holds the generator's ground-truth row count, within
``drain_seconds``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.pipeline.settings import BRONZE_STREAM
from bench.common import check_queries
from lakehouse_local import live

if TYPE_CHECKING:
    from pyspark.sql.streaming import StreamingQuery

    from app.platform.lakehouse import Lakehouse

KAFKA_LANDING = "raw/kafka_multiplex_bz"


class PacedProducer(threading.Thread):
    """Lands one-day generated sets, file by file, at ``rate`` Kafka records per second.

    After each Kafka file it sleeps until the records landed so far are due,
    so the rate holds over the run with bursts of one file. It stops between
    sets (so the last set's manifest, the ground truth, is complete); once
    asked to stop, the current set is finished without pauses.
    """

    def __init__(self, lh: Lakehouse, spec: Any, rate: float) -> None:
        super().__init__(name="paced-producer", daemon=True)
        self.lh, self.spec, self.rate = lh, spec, rate
        self.stopping = threading.Event()
        self.started = threading.Event()  # set once `began` holds the start time
        self.landed_records = 0
        self.sets = 0
        self.manifest: dict[str, Any] | None = None
        self.began = 0.0
        self.ended = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        from data_generators.engine import Generator
        from data_generators.faults import KAFKA
        from data_generators.sinks import as_sink

        try:
            generator = Generator(self.spec)
            sink = as_sink(self.lh.store("data_zone"))
            self.began = time.monotonic()
            self.started.set()

            def pace(res: Any) -> None:
                if res.source != KAFKA:
                    return
                self.landed_records += res.records
                due = self.began + self.landed_records / self.rate
                self.stopping.wait(max(0.0, due - time.monotonic()))

            n = 0
            while not self.stopping.is_set() and n < self.spec.sets:
                n += 1
                result = generator.write_set(n, sink, on_file=pace)
                self.manifest, self.sets = result.manifest, n
        except BaseException as exc:  # reported by the trial, never lost in a thread
            self.error = exc
        finally:
            self.ended = time.monotonic()
            self.started.set()

    def stop(self) -> None:
        self.stopping.set()


def _offset(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


class TableVersions:
    """A Delta table's latest version, from its ``_delta_log`` listing (no Spark job)."""

    def __init__(self, lh: Lakehouse) -> None:
        self.root = lh.location("tables").rstrip("/")
        self.store = lh.store("tables")
        self.unmapped: set[str] = set()  # sources outside this lakehouse: reported once

    def latest(self, description: str) -> int | None:
        """Latest version of a ``DeltaSource[<url>]``'s table; None if it is not ours."""
        url = description[description.find("[") + 1:description.rfind("]")]
        if not url.startswith(self.root + "/"):
            self.unmapped.add(url)
            return None
        log = url[len(self.root) + 1:] + "/_delta_log/"
        try:
            names = self.store.list(log)
        except OSError:  # a log file renamed while listing: no reading this time
            return None
        versions = [int(n[len(log):-5]) for n in names
                    if n.endswith(".json") and n[len(log):-5].isdigit()]
        return max(versions) if versions else None


def versions_behind(progress: Any, tables: TableVersions) -> int | None:
    """Versions of its Delta sources a stream has not committed yet (None: no Delta source).

    Per source: the table's latest version (from its log, so a batch that runs
    long still shows the versions piling up behind it) minus the version the
    stream's last completed batch ended at; ``latestOffset`` of that batch when
    the table cannot be listed.
    """
    behind = None
    for source in (progress or {}).get("sources") or []:
        description = str(source.get("description", ""))
        end = _offset(source.get("endOffset"))
        if not description.startswith("DeltaSource") or "reservoirVersion" not in end:
            continue
        latest = tables.latest(description)
        if latest is None:
            latest = int(_offset(source.get("latestOffset")).get("reservoirVersion", 0))
        # After a version is read whole the offset points at the next one (index -1).
        behind = max(0, latest - int(end["reservoirVersion"])) + (behind or 0)
    return behind


def is_bronze_kafka(q: StreamingQuery) -> bool:
    """The stream reading the Kafka landing folder (by name, else by its source)."""
    if (q.name or "").endswith((".kafka_multiplex_bz", f".{BRONZE_STREAM}")):
        return True
    progress: dict[str, Any] = q.lastProgress or {}
    return any(
        KAFKA_LANDING in str(s.get("description", ""))
        and not str(s.get("description", "")).startswith("DeltaSource")
        for s in progress.get("sources") or []
    )


@dataclass
class Sample:
    t: float  # seconds since the producer started
    landed: int
    taken: int  # records bronze's Kafka stream has taken in
    behind: int  # worst silver/gold stream's versions behind
    worst: str

    @property
    def backlog(self) -> int:
        return self.landed - self.taken


class Sampler:
    """Backlog and versions behind, from the producer's counter and the streams' progress."""

    def __init__(self, lh: Lakehouse, queries: list[StreamingQuery],
                 producer: PacedProducer) -> None:
        self.queries, self.producer = queries, producer
        self.tables = TableVersions(lh)
        self.kafka = [q for q in queries if is_bronze_kafka(q)]
        if len(self.kafka) != 1:
            raise RuntimeError(f"expected one bronze Kafka stream, found {len(self.kafka)}")
        self.batches: dict[int, int] = {}  # bronze Kafka batchId -> numInputRows
        self.samples: list[Sample] = []

    def taken(self) -> int:
        for p in self.kafka[0].recentProgress:
            # Bronze's query reads every landing folder: the Kafka folder's rows only.
            rows = live.source_rows(p, KAFKA_LANDING)
            batch = int(p.get("batchId", -1))
            self.batches[batch] = max(rows, self.batches.get(batch, 0))
        return sum(self.batches.values())

    def worst_behind(self) -> tuple[int, str]:
        worst, name = 0, "-"
        for q in self.queries:
            if q in self.kafka:
                continue
            behind = versions_behind(q.lastProgress, self.tables)
            if behind is not None and behind > worst:
                worst, name = behind, (q.name or "?").rsplit(".", 1)[-1]
        return worst, name

    def sample(self) -> Sample:
        check_queries(self.queries)
        landed = self.producer.landed_records  # read before `taken`: backlog never < 0 by race
        behind, worst = self.worst_behind()
        s = Sample(time.monotonic() - self.producer.began, landed, self.taken(), behind, worst)
        self.samples.append(s)
        return s


def bounded(values: list[float], slack: float) -> bool:
    """The floor stayed level: the last third's lowest value is not above the middle
    third's lowest by more than ``slack``.

    Floors, not means: at high rates a micro-batch runs for tens of seconds, so
    the backlog is a sawtooth (it climbs while a batch runs, drops when the
    batch commits) and a third's mean depends on where its teeth fall. A
    third's floor is the backlog just after a commit: level while the stream
    keeps up, rising when each batch leaves more behind than the one before.
    The first third is left out: it holds the climb from an empty backlog to
    the first batch's size.
    """
    if len(values) < 3:
        return False
    middle, last = floors(values)
    return last <= middle + slack


def floors(values: list[float]) -> tuple[float, float]:
    """The middle and last thirds' lowest values (what ``bounded`` compares)."""
    third = max(1, len(values) // 3)
    return min(values[third:-third] or values), min(values[-third:])


@dataclass
class Trial:
    rate: float
    seconds: float = 0.0
    landed: int = 0
    taken: int = 0
    samples: list[Sample] = field(default_factory=list)
    backlog_bounded: bool = False
    versions_bounded: bool = False
    drain_seconds: float | None = None  # None: did not drain in time
    gold_rows: int = 0
    gold_truth: int = 0
    taken_at_end: int = 0  # after the drain
    bronze_rows: int | None = None  # the bronze Kafka table's rows then: checks the sampling
    error: str = ""

    @property
    def produced_rate(self) -> float:
        return self.landed / self.seconds if self.seconds else 0.0

    @property
    def bronze_rate(self) -> float:
        """Records/s bronze took in during the window."""
        return self.taken / self.seconds if self.seconds else 0.0

    @property
    def held(self) -> bool:
        # A producer that fell short of its target proves nothing about the target.
        reached = self.produced_rate >= 0.95 * self.rate
        return (not self.error and reached and self.backlog_bounded and self.versions_bounded
                and self.drain_seconds is not None)

    def describe(self) -> str:
        if self.error:
            return f"rate {self.rate:,.0f}/s: failed ({self.error})"
        middle, last = floors([s.backlog for s in self.samples]) if self.samples else (0, 0)
        vmiddle, vlast = floors([s.behind for s in self.samples]) if self.samples else (0, 0)
        drain = f"drained in {self.drain_seconds:.0f}s" if self.drain_seconds is not None else (
            f"NOT drained (gold {self.gold_rows}/{self.gold_truth})")
        return (
            f"rate {self.rate:,.0f}/s: produced {self.produced_rate:,.0f}/s, bronze took "
            f"{self.bronze_rate:,.0f}/s; lowest backlog records middle/last third "
            f"{middle:,.0f}/{last:,.0f}"
            f" ({'bounded' if self.backlog_bounded else 'GROWING'}), lowest versions behind "
            f"{vmiddle:.1f}/{vlast:.1f} ({'bounded' if self.versions_bounded else 'GROWING'}); "
            f"{drain} -> {'HELD' if self.held else 'not held'}"
            + (f" [bronze table {self.bronze_rows:,} rows, {self.taken_at_end:,} taken in]"
               if self.bronze_rows is not None else "")
        )


@dataclass(frozen=True)
class TrialSettings:
    sustain_seconds: float = 300.0
    drain_seconds: float = 60.0
    sample_seconds: float = 3.0
    slack_seconds: float = 5.0  # backlog slack: this many seconds of production
    slack_versions: float = 5.0
    scale: float = 0.25
    seed: int = 17
    trigger: str = "1 second"


def sets_needed(rate: float, settings: TrialSettings, records_per_set: int = 5_000) -> int:
    """Sets the producer may land in one window (one-day sets hold ~7-8k records at 0.25)."""
    per_set = max(1, int(records_per_set * settings.scale / 0.25))
    return int(rate * (settings.sustain_seconds + 30) / per_set) + 20


def trial(lh: Lakehouse, rate: float, settings: TrialSettings,
          log: Callable[[str], None] = print) -> Trial:
    """One rate on ``lh`` (an empty private lakehouse): sustain, then drain."""
    from app.pipeline import run
    from data_generators import GeneratorSpec
    from lakehouse_local import producer

    spec = GeneratorSpec(seed=settings.seed, sets=sets_needed(rate, settings),
                         scale=settings.scale, visits_per_user=1)
    result = Trial(rate)
    producer.land_history(lh, spec)  # before the history loader in start_all
    queries = run.start_all(lh, settings.trigger)
    paced = PacedProducer(lh, spec, rate)
    try:
        # Start the clock once every stream has run its first trigger (JVM warm, state loaded).
        deadline = time.monotonic() + 120
        while any(q.lastProgress is None for q in queries) and time.monotonic() < deadline:
            check_queries(queries)
            time.sleep(0.5)
        sampler = Sampler(lh, queries, paced)
        paced.start()
        paced.started.wait()
        while paced.is_alive() and time.monotonic() - paced.began < settings.sustain_seconds:
            time.sleep(settings.sample_seconds)
            s = sampler.sample()
            if len(sampler.samples) % 10 == 0:
                log(f"    t={s.t:5.0f}s landed {s.landed:,} backlog {s.backlog:,} "
                    f"behind {s.behind} ({s.worst})")
        paced.stop()
        paced.join()
        if paced.error is not None:
            raise RuntimeError(f"producer failed: {paced.error}")
        if sampler.tables.unmapped:
            log(f"    (versions behind from latestOffset for {sorted(sampler.tables.unmapped)})")
        result.seconds = paced.ended - paced.began
        result.samples = list(sampler.samples)
        last = sampler.sample()
        result.landed, result.taken = last.landed, last.taken
        result.backlog_bounded = bounded([s.backlog for s in result.samples],
                                         rate * settings.slack_seconds)
        result.versions_bounded = bounded([s.behind for s in result.samples],
                                          settings.slack_versions)
        if paced.manifest is None:
            raise RuntimeError("the producer landed no whole set in the window")
        result.gold_truth = int(paced.manifest["counts"]["workout_bpm_summary"])
        # Read from gold's new Delta commits: no count job beside the streams.
        gold = lh.row_count("workout_bpm_summary")
        stopped = time.monotonic()
        while time.monotonic() - stopped < settings.drain_seconds:
            result.gold_rows = gold.refresh() or 0
            if sampler.sample().backlog == 0 and result.gold_rows >= result.gold_truth:
                result.drain_seconds = time.monotonic() - stopped
                break
            time.sleep(1.0)
        result.taken_at_end = sampler.sample().taken
        result.bronze_rows = int(lh.spark.table(lh.table("kafka_multiplex_bz")).count())
    except Exception as exc:  # one failed trial is a result, not the end of the bench
        result.error = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"
    finally:
        paced.stop()
        run.stop_gracefully(queries, timeout=60)
    return result


@dataclass
class Search:
    trials: list[Trial] = field(default_factory=list)

    @property
    def best(self) -> Trial | None:
        held = [t for t in self.trials if t.held]
        return max(held, key=lambda t: t.rate) if held else None


def fresh_trial(new_lakehouse: Callable[[], Any], rate: float, settings: TrialSettings,
                log: Callable[[str], None] = print) -> Trial:
    """One trial of ``rate`` on a fresh private lakehouse, announced and described in ``log``."""
    log(f"  trial at {rate:,.0f} Kafka records/s, trigger {settings.trigger}, for "
        f"{settings.sustain_seconds:.0f}s ...")
    with new_lakehouse() as lh:
        t = trial(lh, rate, settings, log)
    log("    " + t.describe())
    return t


def search(new_lakehouse: Callable[[], Any], start_rate: float, factor: float, steps: int,
           settings: TrialSettings, log: Callable[[str], None] = print) -> Search:
    """Up by ``factor`` while rates hold; down by it from a start rate that does not hold.

    ``new_lakehouse()`` returns a context manager giving a fresh private
    lakehouse, so every trial starts from empty tables and checkpoints.
    """
    found = Search()
    rate, going_up = start_rate, None
    for _ in range(max(1, steps)):
        t = fresh_trial(new_lakehouse, rate, settings, log)
        found.trials.append(t)
        if going_up is None:
            going_up = t.held
        if going_up != t.held:
            break
        rate = rate * factor if going_up else rate / factor
    return found


def held_at(found: Search, rate: float) -> bool | None:
    """Whether ``rate`` keeps the lag bounded, as far as ``found``'s trials say.

    A trial at that rate answers; a higher rate that held answers yes (a
    lighter load); anything else needs a trial (None).
    """
    for t in found.trials:
        if t.rate == rate:
            return t.held
    if found.best is not None and found.best.rate >= rate:
        return True
    return None
