"""Stream mode: land files continuously at about ``rate`` records per second.

Sets are produced as usual, but each Kafka file holds ``rate * interval``
records and the producer waits between files, so a new file appears every
``interval`` seconds. The manifest of a set is written when the set is
complete; a set cut short by ``duration`` has none. The clock and the sleep
are injectable so tests need not wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from data_generators.engine import FileHook, Generator, SetResult
from data_generators.faults import KAFKA, FileResult
from data_generators.model import Timeline
from data_generators.sinks import Sink
from data_generators.spec import GeneratorSpec


class _Stop(Exception):
    """The run's duration is over."""


def stream_spec(spec: GeneratorSpec, rate: float, interval: float) -> GeneratorSpec:
    """The spec with Kafka files cut at ``rate * interval`` records."""
    if rate <= 0 or interval <= 0:
        raise ValueError("rate and interval must be positive")
    return spec.replace(max_records_per_file=max(1, int(rate * interval)))


def run_continuous(
    spec: GeneratorSpec, sink: Sink, rate: float, duration: float, *, interval: float = 5.0,
    scenario: Timeline | None = None, on_file: FileHook | None = None,
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
) -> list[SetResult]:
    """Land sets 1, 2, ... paced at ``rate`` Kafka records per second for ``duration`` seconds.

    Returns:
        The sets that were completed (each with its manifest).
    """
    gen = Generator(stream_spec(spec, rate, interval), scenario)
    began = clock()
    landed = 0

    def pace(res: FileResult) -> None:
        nonlocal landed
        if on_file is not None:
            on_file(res)
        if res.source != KAFKA:
            return
        landed += res.records
        wait = began + landed / rate - clock()
        if clock() - began + max(wait, 0.0) >= duration:
            raise _Stop
        if wait > 0:
            sleep(wait)

    done: list[SetResult] = []
    try:
        for n in range(1, gen.spec.sets + 1):
            done.append(gen.write_set(n, sink, on_file=pace))
    except _Stop:
        pass
    return done
