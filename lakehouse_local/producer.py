"""The producer: lands data sets in the landing zone.

Either generated sets (``data_generators``, with their ground truth) or the
files of a folder laid out in docs/domain.md's formats (``raw/<source>/...`` and
``test_data/...``), copied as they are so that a real exporter's files flow
through unchanged.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.pipeline import settings

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse
    from data_generators import GeneratorSpec

MANIFESTS = "ground_truth"
# Kafka records per second `make stream`'s producer targets (``--rate``): below
# what bench/pipeline.py measured the pipeline sustains on 2 cores on Azurite,
# where `make stream` runs by default (2026-12-06, 5-minute trials: 1,500/s held
# with gold 3-8 versions behind; 2,000/s did not, gold drifting from 3 to 8
# behind; local held 3,335/s), with room for a busier machine, so the live
# view's lag stays bounded. The bench checks this rate in every throughput run.
DEFAULT_RATE = 1000.0
# Sets in `make stream`'s world (8 days of event time each, ~22 years in all).
# The date lookup covers every year of the spec's sets and is landed with each
# set, so this bounds it (8,401 days); a restarted stream resumes the same world.
STREAM_SETS = 1000
# Generator scale of `make stream`'s sets (about 60,000 Kafka records a set).
STREAM_SCALE = 0.25


def _generators() -> Any:
    try:
        import data_generators
    except ImportError as exc:  # pragma: no cover - part of this repository
        raise ImportError(
            "the producer's generated sets need the data_generators package: `make setup`"
        ) from exc
    return data_generators


def land_history(lh: Lakehouse, spec: GeneratorSpec) -> str:
    """Land only the date lookup the spec's sets need (the history loader's input)."""
    from data_generators.engine import DATE_LOOKUP_PATH, Generator

    lines = Generator(spec).date_lines
    lh.store("data_zone").put_bytes(DATE_LOOKUP_PATH, ("\n".join(lines) + "\n").encode())
    return DATE_LOOKUP_PATH


def produce_set(lh: Lakehouse, spec: GeneratorSpec, n: int) -> dict[str, Any]:
    """Land generated set n; returns its cumulative ground-truth manifest."""
    result = _generators().generate_set(spec, n, lh.store("data_zone"))
    return dict(result.manifest)


def landed_sets(lh: Lakehouse) -> int:
    """How many generated sets the landing zone already holds (by their manifests)."""
    return len([p for p in lh.store("data_zone").list(f"{MANIFESTS}/") if p.endswith(".json")])


def latest_manifest(lh: Lakehouse) -> dict[str, Any] | None:
    names = sorted(p for p in lh.store("data_zone").list(f"{MANIFESTS}/") if p.endswith(".json"))
    return json.loads(lh.store("data_zone").get_bytes(names[-1])) if names else None


def land_folder(lh: Lakehouse, folder: Path, tag: str = "") -> list[str]:
    """Copy a folder in docs/domain.md's layout into the landing zone; returns the paths landed.

    ``tag`` is added to every file name (``a.csv`` -> ``a-<tag>.csv``) so the
    same folder can be landed again as new files.

    Raises:
        FileNotFoundError: the folder holds no ``raw/`` or ``test_data/`` files.
    """
    zone = lh.store("data_zone")
    landed = []
    known = (*settings.LANDING.values(), settings.HISTORY_FOLDER)
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if not rel.startswith(known) or path.name.startswith((".", "_")):
            continue
        if tag and not rel.startswith(settings.HISTORY_FOLDER):
            stem, dot, ext = rel.rpartition(".")
            rel = f"{stem}-{tag}.{ext}" if dot else f"{rel}-{tag}"
        zone.put_file(rel, path)
        landed.append(rel)
    if not landed:
        raise FileNotFoundError(
            f"{folder} has no files under {', '.join(known)}: "
            "lay it out as docs/domain.md describes"
        )
    return landed


class _Stopped(Exception):
    """Raised between two files of a set when the producer is asked to stop."""


class ContinuousProducer(threading.Thread):
    """Lands generated sets one after another until stopped, paced to a Kafka record rate.

    Pacing is per whole set: after landing a set of ``k`` Kafka records it
    waits ``k / rate`` seconds minus the time landing took (never less than 0),
    so the landing zone grows by ``rate`` records per second on average. With
    ``pause`` instead, it waits that many seconds between set starts.

    It resumes after the last set already landed, so a restarted ``make stream``
    continues the same world instead of landing set 1 again. ``stop()`` takes
    effect between two files: a set cut short has no manifest yet, and the next
    run lands it again with the same names and bytes (files already there are
    skipped, and Spark never reads a landed name twice), so nothing is lost.
    """

    def __init__(
        self,
        lh: Lakehouse,
        spec: GeneratorSpec,
        pause: float | None = None,
        rate: float | None = None,
    ) -> None:
        super().__init__(name="producer", daemon=True)
        if pause is None and rate is None:
            rate = DEFAULT_RATE
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be > 0 Kafka records per second, not {rate}")
        self.lh, self.spec, self.pause, self.rate = lh, spec, pause, rate
        self.stopped = threading.Event()
        # Set once the history file is in the landing zone (the history loader needs it).
        self.history_ready = threading.Event()
        self.landed: list[int] = []
        self.set_records: list[int] = []  # Kafka records of each set landed
        self.set_started: list[float] = []  # when each set landed began (monotonic)
        self.records = 0  # Kafka records landed by this run
        self.finished = False  # every set of the spec is landed
        self.error: BaseException | None = None

    def run(self) -> None:
        from data_generators.engine import Generator
        from data_generators.sinks import as_sink

        try:
            n = landed_sets(self.lh) + 1
            if not self.lh.store("data_zone").list(f"{settings.HISTORY_FOLDER}/"):
                land_history(self.lh, self.spec)
            self.history_ready.set()
            sink = as_sink(self.lh.store("data_zone"))
            gen = Generator(self.spec)
            gen.catch_up(n - 1, sink)
            while not self.stopped.is_set() and n <= self.spec.sets:
                began = time.monotonic()
                result = gen.write_set(n, sink, on_file=self._check_stop)
                kafka = result.sources["kafka"].records
                self.landed.append(n)
                self.set_records.append(kafka)
                self.set_started.append(began)
                self.records += kafka
                n += 1
                self.stopped.wait(self.wait_after(kafka, time.monotonic() - began))
            self.finished = n > self.spec.sets
        except _Stopped:
            pass
        except BaseException as exc:  # reported by the caller, never lost in a thread
            self.error = exc
        finally:
            self.history_ready.set()  # never leave a waiter hanging

    def wait_after(self, kafka_records: int, landing_seconds: float) -> float:
        """Seconds to wait after a set of ``kafka_records`` that took ``landing_seconds``."""
        if self.pause is not None:
            return max(0.0, self.pause - landing_seconds)
        assert self.rate is not None
        return max(0.0, kafka_records / self.rate - landing_seconds)

    def achieved_rate(self, sets: int = 10) -> float | None:
        """Kafka records per second over the last ``sets`` set intervals (start to start).

        Below the target rate when landing a set takes longer than its share
        of time; None until two sets have started.
        """
        starts, records = self.set_started[-sets - 1:], self.set_records[-sets - 1:]
        if len(starts) < 2 or starts[-1] <= starts[0]:
            return None
        return sum(records[:-1]) / (starts[-1] - starts[0])

    def _check_stop(self, _file: object) -> None:
        if self.stopped.is_set():
            raise _Stopped

    def stop(self) -> None:
        self.stopped.set()
